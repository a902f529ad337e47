#!/usr/bin/env bash
# The Raspberry Pi path without a Pi: an arm64 Debian root, emulated, set up as a Pi owner would.
#
#   sudo scripts/arm64_check.sh                       # Bookworm and Trixie, setup + smoke checks
#   sudo scripts/arm64_check.sh --release bookworm --part full    # + the whole test suite
#
# For each release it builds (once, then cached outside the repository) an arm64 Debian root
# with debootstrap, runs it under a static qemu-aarch64 that emulates a Pi core (Cortex-A72 for
# Bookworm as on a Pi 4, Cortex-A76 for Trixie as on a Pi 5), copies this clone's files into
# /home/pi/emojify-edge, and then, as the login user `pi` (passwordless sudo, as on Raspberry Pi
# OS): `sudo ./setup.sh --service kiosk`, the same again (nothing to do), `emojify run` on the
# demo, `emojify doctor`, the numpy pin against pip, and with --part full the test suite.
# Every run starts from the cached base root (an overlay that is thrown away), so two runs give
# the same result; downloads (debs, wheels) are cached.
#
# What it cannot show: anything that needs Pi hardware (camera, DRM screen, Coral, real speed:
# emulation is 10-50x slower than a Pi), systemd as PID 1, and Raspberry Pi OS's own packages:
# picamera2 lives only in the Raspberry Pi apt archive, so the root gets a stand-in
# python3-picamera2 package (see fake_picamera2) whose module imports apt's numpy and a C
# extension built against it (python3-pywt), like the real one's simplejpeg, and reports no camera.
#
# Needs: root, an x86-64 (or other) Debian/Ubuntu host with debootstrap, gcc (static libc),
# overlayfs and binfmt_misc, and network access to deb.debian.org and PyPI.
set -euo pipefail

readonly BASE_VERSION=3 # bump when the base recipe (packages, user, stand-ins) changes
readonly MIRROR="${MIRROR:-http://deb.debian.org/debian}"
readonly QEMU_SUITE=trixie # its qemu-user package holds a static qemu-aarch64 >= 10
readonly BINFMT_NAME=emojify-aarch64
readonly LIBEXEC=/usr/libexec/emojify-arm64 # inside each root: qemu-aarch64 and the CPU it emulates
# Raspberry Pi OS Lite has these; python3-numpy and python3-pywt stand for picamera2's
# dependencies (numpy, and a C extension compiled against apt's numpy like simplejpeg).
readonly BASE_PACKAGES=ca-certificates,sudo,adduser,python3,python3-numpy,python3-pywt,systemd,systemd-sysv,udev,procps,less,xz-utils
# What .ci/run installs for the tests (systemd-analyze comes with systemd).
readonly TEST_PACKAGES=(shellcheck mosquitto)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly REPO
SELF="$REPO/scripts/arm64_check.sh"
readonly SELF

CACHE=/var/cache/emojify-arm64
RELEASES=(bookworm trixie)
PART=smoke
CPU_OVERRIDE=""
REUSE=0
FRESH_BASE=0
SHELL_AFTER=0
PYTEST_ARGS=""
TEST_TIMEOUT=7200
EXTRA_CODE=""

say() { printf '[arm64] %s\n' "$*"; }
die() {
	printf '[arm64] ERROR: %s\n' "$1" >&2
	shift
	local line
	for line in "$@"; do printf '[arm64]   %s\n' "$line" >&2; done
	exit 1
}

usage() {
	cat <<EOF
Usage: sudo $0 [options]

Builds (once) arm64 Debian roots and checks the Raspberry Pi path of setup.sh and the app in them
under qemu-user emulation. Nothing in the repository is changed.

Options:
  --release bookworm|trixie|all   which Debian release (default: all = bookworm and trixie)
  --part smoke|full|none          smoke: setup.sh, emojify run/doctor, the numpy pin (default);
                                  full: also sudo ./setup.sh --dev and the test suite;
                                  none: no checks (with --run or --shell; --reuse keeps the state)
  --cache DIR                     roots, downloads and logs (default: $CACHE)
  --cpu NAME                      emulated core (default: cortex-a72 for bookworm, cortex-a76
                                  for trixie); never "max": no Pi has its SVE units
  --pytest-args "ARGS"            passed to pytest with --part full (e.g. "-k kiosk -x")
  --test-timeout SECONDS          limit for the test suite (default: $TEST_TIMEOUT)
  --run 'SHELL CODE'               run this as pi after the checks, recorded as check "run"
  --reuse                         keep the previous run's changes (setup.sh runs on top of them)
  --fresh-base                    rebuild the cached base root(s) first
  --shell                         open a login shell as pi in the root after the checks
  -h, --help                      this help

Logs: DIR/logs/RELEASE-latest.log (and .summary). The last run's root stays in
DIR/runs/RELEASE/upper until the next run; the base roots take ~1 GB each.
EOF
}

parse_args() {
	while (($#)); do
		case "$1" in
		--release)
			(($# >= 2)) || die "--release needs a value: bookworm, trixie or all"
			case "$2" in
			all) RELEASES=(bookworm trixie) ;;
			bookworm | trixie) RELEASES=("$2") ;;
			*) die "--release must be bookworm, trixie or all, not '$2'" ;;
			esac
			shift
			;;
		--part)
			(($# >= 2)) || die "--part needs a value: smoke, full or none"
			case "$2" in smoke | full | none) PART="$2" ;; *) die "--part must be smoke, full or none, not '$2'" ;; esac
			shift
			;;
		--cache)
			(($# >= 2)) || die "--cache needs a folder"
			CACHE="$2"
			shift
			;;
		--cpu)
			(($# >= 2)) || die "--cpu needs a qemu CPU name, e.g. cortex-a72"
			CPU_OVERRIDE="$2"
			shift
			;;
		--pytest-args)
			(($# >= 2)) || die "--pytest-args needs a value"
			PYTEST_ARGS="$2"
			shift
			;;
		--test-timeout)
			(($# >= 2)) || die "--test-timeout needs seconds"
			[[ "$2" =~ ^[0-9]+$ ]] || die "--test-timeout must be a whole number of seconds, not '$2'"
			TEST_TIMEOUT="$2"
			shift
			;;
		--run)
			(($# >= 2)) || die "--run needs shell code"
			EXTRA_CODE="$2"
			shift
			;;
		--reuse) REUSE=1 ;;
		--fresh-base) FRESH_BASE=1 ;;
		--shell) SHELL_AFTER=1 ;;
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown option: $1" "See: $0 --help" ;;
		esac
		shift
	done
	[[ "$CPU_OVERRIDE" != max ]] || die "--cpu max emulates SVE, which no Raspberry Pi has: use cortex-a72 or cortex-a76"
	[[ "$CACHE" == /* ]] || CACHE="$PWD/$CACHE"
	case "$CACHE/" in "$REPO"/*) die "--cache must be outside the repository ($REPO)" ;; esac
}

default_cpu() { # default_cpu RELEASE
	if [[ -n "$CPU_OVERRIDE" ]]; then
		printf '%s\n' "$CPU_OVERRIDE"
	elif [[ "$1" == trixie ]]; then
		printf 'cortex-a76\n' # Pi 5
	else
		printf 'cortex-a72\n' # Pi 4
	fi
}

# ----------------------------------------------------------------------------- host side
check_host() {
	[[ "$(id -u)" == 0 ]] || die "needs root (debootstrap, chroot, mounts): sudo $0 $*"
	local tool missing=()
	for tool in debootstrap dpkg-deb apt-get gcc unshare chroot mount tar git timeout flock; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	((${#missing[@]} == 0)) || die "missing on this machine: ${missing[*]}" "Debian/Ubuntu: apt-get install debootstrap gcc libc6-dev util-linux git"
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || die "this kernel has no overlayfs"
	if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
			die "binfmt_misc is not available (modprobe binfmt_misc), so arm64 programs cannot run here"
	fi
	install -d -m 0700 "$CACHE" # setuid arm64 programs (sudo) live below: keep other users out
	install -d -m 0755 "$CACHE/qemu" "$CACHE/logs" "$CACHE/base" "$CACHE/runs" "$CACHE/downloads"
}

# A static qemu-aarch64 from Debian $QEMU_SUITE: Bookworm's own 7.2 crashes inside LiteRT.
ensure_qemu() {
	local qemu="$CACHE/qemu/qemu-aarch64" apt_dir="$CACHE/qemu/apt"
	if [[ -x "$qemu" ]] && "$qemu" --version >/dev/null 2>&1; then
		return
	fi
	say "fetching a static qemu-aarch64 (package qemu-user from Debian $QEMU_SUITE, amd64 host)"
	[[ "$(dpkg --print-architecture)" == amd64 ]] || die "fetching qemu only knows amd64 hosts; put a static qemu-aarch64 (>= 8) at $qemu"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
	printf 'deb %s %s main\n' "$MIRROR" "$QEMU_SUITE" >"$apt_dir/sources.list"
	local apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
		-o APT::Architectures::=amd64 -o Acquire::Languages=none -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	apt-get "${apt_opts[@]}" -q update >/dev/null
	(cd "$apt_dir" && apt-get "${apt_opts[@]}" -q download qemu-user >/dev/null)
	local deb tmp
	deb="$(find "$apt_dir" -maxdepth 1 -name 'qemu-user_*.deb' | sort | tail -n 1)"
	tmp="$(mktemp -d)"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/bin/qemu-aarch64
	install -m 0755 "$tmp/usr/bin/qemu-aarch64" "$qemu"
	rm -rf "$tmp" "$apt_dir/lists"
	say "$("$qemu" --version | head -n 1)"
}

# The binfmt_misc interpreter: a tiny static program that starts qemu-aarch64 with the CPU named
# in the root's $LIBEXEC/cpu. An environment variable (QEMU_CPU) would be lost at every sudo or
# env -i, and then qemu's default "max" CPU (with SVE) would run XNNPACK's SVE kernels.
ensure_wrapper() {
	local src="$CACHE/qemu/emojify-binfmt.c" bin="$CACHE/qemu/emojify-binfmt" new
	new="$(
		cat <<EOF
/* binfmt_misc interpreter written by scripts/arm64_check.sh (flags POCF):
 * argv = [this, path of the arm64 program, its argv[0], its arguments...]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#define QEMU "$LIBEXEC/qemu-aarch64"
#define CPU_FILE "$LIBEXEC/cpu"
int main(int argc, char **argv) {
	static char cpu[64] = "cortex-a72";
	if (argc < 3) {
		fprintf(stderr, "emojify-binfmt: start arm64 programs directly (binfmt_misc flag P)\\n");
		return 127;
	}
	unsigned long fd = getauxval(AT_EXECFD); /* flag O: qemu reopens the program by path */
	if (fd > 2) close((int)fd);
	FILE *f = fopen(CPU_FILE, "r");
	if (f) {
		if (fgets(cpu, sizeof cpu, f)) cpu[strcspn(cpu, "\\n")] = 0;
		fclose(f);
	}
	char **args = calloc((size_t)argc + 6, sizeof *args);
	int n = 0;
	args[n++] = QEMU;
	const char *env_cpu = getenv("QEMU_CPU");
	if (!env_cpu || !*env_cpu) {
		args[n++] = "-cpu";
		args[n++] = cpu;
	}
	args[n++] = "-0";
	args[n++] = argv[2];
	args[n++] = argv[1];
	for (int i = 3; i < argc; i++) args[n++] = argv[i];
	args[n] = NULL;
	execv(QEMU, args);
	perror("emojify-binfmt: " QEMU);
	return 127;
}
EOF
	)"
	if [[ -x "$bin" && -f "$src" && "$(<"$src")" == "$new" ]]; then return; fi
	printf '%s\n' "$new" >"$src"
	gcc -O2 -static -o "$bin" "$src" || die "could not build the binfmt helper (needs gcc and libc6-dev's static libc)"
}

BINFMT_OWNED=0
binfmt_register() {
	local entry="/proc/sys/fs/binfmt_misc/$BINFMT_NAME"
	BINFMT_OWNED=1
	if [[ -e "$entry" ]]; then
		grep -q "interpreter $CACHE/qemu/emojify-binfmt" "$entry" && return
		printf -- '-1\n' >"$entry"
	fi
	# ELF64, little endian, machine 0xb7 (aarch64). P: keep argv[0]; O+C: setuid programs (sudo)
	# keep their credentials; F: the helper is opened now, so it works inside any chroot.
	printf '%s\n' ":$BINFMT_NAME:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:$CACHE/qemu/emojify-binfmt:POCF" \
		>/proc/sys/fs/binfmt_misc/register
}

# shellcheck disable=SC2317 # runs from the EXIT trap
binfmt_unregister() {
	if ((BINFMT_OWNED)) && [[ -e "/proc/sys/fs/binfmt_misc/$BINFMT_NAME" ]]; then
		printf -- '-1\n' >"/proc/sys/fs/binfmt_misc/$BINFMT_NAME" || true
	fi
}

# The stand-in for Raspberry Pi OS's python3-picamera2 (an apt package, so setup.sh sees it
# installed). Its module needs what the real one needs from the venv's point of view: apt's numpy
# and a C extension compiled against it. It lists no camera, as on a Pi with none connected.
fake_picamera2() { # fake_picamera2 OUT_DEB
	local tmp
	tmp="$(mktemp -d)"
	mkdir -p "$tmp/DEBIAN" "$tmp/usr/lib/python3/dist-packages/picamera2"
	cat >"$tmp/DEBIAN/control" <<'EOF'
Package: python3-picamera2
Version: 0.0.0+emojify.stand.in
Architecture: all
Maintainer: Emojify Edge arm64 check <nobody@invalid>
Depends: python3, python3-numpy, python3-pywt
Description: STAND-IN for Raspberry Pi OS's picamera2 (scripts/arm64_check.sh)
 Not the real library: imports apt's numpy and a C extension built against
 it (like simplejpeg) and reports that no camera is connected.
EOF
	cat >"$tmp/usr/lib/python3/dist-packages/picamera2/__init__.py" <<'EOF'
"""STAND-IN for Raspberry Pi OS's picamera2, installed by scripts/arm64_check.sh: not the real library.

Like the real one it needs apt's numpy and a C extension compiled against it (the real one has
simplejpeg; here pywt's), so a different numpy in the venv breaks the import the same way.
"""

import numpy  # noqa: F401
from pywt import _extensions  # noqa: F401  (C extension built against apt's numpy)

__version__ = "0.0.0+emojify.stand.in"


class Picamera2:
    """No camera is connected to the emulated Pi."""

    @staticmethod
    def global_camera_info():
        return []

    def __init__(self, camera_num=0, **kwargs):
        raise IndexError("list index out of range")  # what the real one raises without a camera
EOF
	dpkg-deb --root-owner-group --build "$tmp" "$1" >/dev/null
	rm -rf "$tmp"
}

# ----------------------------------------------------------------------------- inside the namespace
# Everything below runs in a private mount and PID namespace (unshare): the mounts disappear and
# every process started in the root is killed when the check ends, however it ends.
ROOT=""

mount_system() { # mount_system ROOT: proc, sys, a minimal /dev, a fresh /run, DNS
	local root="$1" node
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mount --make-rslave "$root/sys"
	# Only the harmless device nodes (no camera, GPU or disks of this machine): a tmpfs /dev.
	mount -t tmpfs -o mode=0755,nosuid tmpfs "$root/dev"
	for node in null zero full random urandom tty; do
		touch "$root/dev/$node"
		mount --bind "/dev/$node" "$root/dev/$node"
	done
	mkdir -p "$root/dev/pts" "$root/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
	ln -s pts/ptmx "$root/dev/ptmx"
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
	ln -s /proc/self/fd "$root/dev/fd"
	ln -s /proc/self/fd/0 "$root/dev/stdin"
	ln -s /proc/self/fd/1 "$root/dev/stdout"
	ln -s /proc/self/fd/2 "$root/dev/stderr"
	# A fresh /run: no /run/systemd/system and no /run/udev/control (so setup.sh takes its
	# "not running here" paths), but /run/systemd itself, which a booted Pi has and
	# systemd-analyze (run by the tests as pi) expects.
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
	install -d -m 0755 "$root/run/systemd" "$root/run/lock"
	rm -f "$root/etc/resolv.conf"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf"
}

# in_root CMD...: as root in the root, with a clean environment
IN_ROOT=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb chroot)
in_root() { "${IN_ROOT[@]}" "$ROOT" "$@"; }

build_base() { # build_base RELEASE DIR
	local release="$1" dir="$2" tmp="$2.tmp"
	rm -rf "$tmp"
	say "$release: debootstrap (first stage, downloads ~150 MB)"
	debootstrap --foreign --arch=arm64 --variant=minbase --components=main \
		--include="$BASE_PACKAGES" "$release" "$tmp" "$MIRROR" >"$CACHE/logs/$release-debootstrap.log" 2>&1 ||
		die "debootstrap failed: see $CACHE/logs/$release-debootstrap.log"
	install -d "$tmp$LIBEXEC"
	install -m 0755 "$CACHE/qemu/qemu-aarch64" "$tmp$LIBEXEC/qemu-aarch64"
	default_cpu "$release" >"$tmp$LIBEXEC/cpu"
	ROOT="$tmp"
	say "$release: debootstrap second stage (emulated, several minutes)"
	in_root /debootstrap/debootstrap --second-stage >>"$CACHE/logs/$release-debootstrap.log" 2>&1 ||
		die "debootstrap --second-stage failed: see $CACHE/logs/$release-debootstrap.log"
	mount_system "$tmp"
	local security="$release-security"
	cat >"$tmp/etc/apt/sources.list" <<EOF
deb $MIRROR $release main
deb $MIRROR $release-updates main
deb http://deb.debian.org/debian-security $security main
EOF
	say "$release: the Pi's login user, the picamera2 stand-in"
	fake_picamera2 "$tmp/tmp/python3-picamera2.deb"
	in_root dpkg -i /tmp/python3-picamera2.deb >/dev/null
	rm -f "$tmp/tmp/python3-picamera2.deb"
	# As Raspberry Pi OS sets it up: user pi, passwordless sudo, the usual groups.
	local g groups=()
	in_root adduser --disabled-password --gecos "" pi >/dev/null
	for g in adm dialout cdrom sudo audio video plugdev games users input render netdev; do
		in_root getent group "$g" >/dev/null && groups+=("$g")
	done
	in_root usermod -a -G "$(
		IFS=,
		echo "${groups[*]}"
	)" pi
	printf 'pi ALL=(ALL) NOPASSWD: ALL\n' >"$tmp/etc/sudoers.d/010_pi-nopasswd"
	chmod 0440 "$tmp/etc/sudoers.d/010_pi-nopasswd"
	in_root apt-get clean
	umount -R "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/run"
	printf '%s\n' "$BASE_VERSION" >"$tmp/.emojify-base"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

RESULTS=()
FAILED=0
LOG=""

# check NAME TIMEOUT 'SHELL CODE AS pi': runs it, records PASS/FAIL and the time taken.
check() {
	local name="$1" limit="$2" code="$3" start end rc=0
	printf '\n===== %s\n$ %s\n' "$name" "$code" >>"$LOG"
	say "$name ..."
	start="$(date +%s.%N)"
	timeout -k 30 "$limit" "${IN_ROOT[@]}" "$ROOT" runuser -l pi -c "$code" >>"$LOG" 2>&1 </dev/null || rc=$?
	end="$(date +%s.%N)"
	local took
	took="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')"
	local verdict=PASS
	if ((rc == 124)); then
		verdict="FAIL (ran past ${limit}s)"
	elif ((rc != 0)); then
		verdict="FAIL (exit $rc)"
	fi
	[[ "$verdict" == PASS ]] || FAILED=1
	printf '===== %s: %s in %ss\n' "$name" "$verdict" "$took" >>"$LOG"
	RESULTS+=("$(printf '%-16s %-28s %6ss' "$name" "$verdict" "$took")")
	say "$name: $verdict (${took}s)"
}

run_checks() { # run_checks RELEASE
	local release="$1" apt_numpy
	# numpy's own version (Trixie's package is 1:2.2.4+ds-1, numpy says 2.2.4)
	apt_numpy="$(in_root /usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"
	local repo=/home/pi/emojify-edge venv=/home/pi/emojify-edge/.venv
	local numpy_is_apts
	# numpy seen by the venv's Python is apt's copy (not one pip put into .venv), and picamera2 imports.
	numpy_is_apts="$venv/bin/python -c 'import numpy, picamera2, sys; print(\"numpy\", numpy.__version__, numpy.__file__); sys.exit(numpy.__file__.startswith(\"/usr/lib/python3/\") is False)'"

	check setup 3600 "cd $repo && sudo ./setup.sh --service kiosk"
	check setup-again 900 "cd $repo && sudo ./setup.sh --service kiosk 2>&1 | tee /tmp/again.log; grep -q 'Python packages are up to date' /tmp/again.log"
	check on-path 300 "command -v emojify && test \"\$(command -v emojify)\" = /usr/local/bin/emojify && emojify --help >/dev/null"
	check config 300 "ls -l /etc/emojify/ && grep -n '^source' /etc/emojify/config.toml && grep -q '^source = \"auto\"' /etc/emojify/config.toml && emojify check-config --config /etc/emojify/config.toml"
	check demo-run 900 "cd && TIMEFORMAT='emojify run: %R s'; time emojify run --source demo --display none --max-frames 100 --log-lines frames >/tmp/demo.jsonl 2>/tmp/demo.err; rc=\$?; tail -n 5 /tmp/demo.err; python3 - <<'EOF'
import json, collections
rows = [json.loads(line) for line in open('/tmp/demo.jsonl')]
frames = [r for r in rows if 'frame' in r and 'type' not in r]  # frame lines (the others have a type)
with_face = sum(1 for r in frames if r.get('faces'))
decisions = collections.Counter(r.get('decision') for r in frames)
print(f'{len(frames)} frame lines, {with_face} with a face, decisions {dict(decisions)}')
ms = sorted(r['latency_ms'].get('classify', 0) for r in frames if r.get('faces'))
if ms: print(f'classify median {ms[len(ms)//2]:.1f} ms (emulated)')
raise SystemExit(0 if len(frames) == 100 and with_face > 50 else 1)
EOF
test \$rc = 0"
	check default-run 900 "cd && emojify run --display none --max-frames 20 --log-lines frames >/tmp/auto.jsonl 2>/tmp/auto.err; rc=\$?; grep -i 'source' /tmp/auto.err | head -n 5; test \$rc = 0 && test \$(grep -c '\"frame\"' /tmp/auto.jsonl) = 20"
	check kiosk-dummy 900 "cd && SDL_VIDEODRIVER=dummy emojify run --source demo --display kiosk --max-frames 30 >/tmp/kiosk.out 2>&1; rc=\$?; tail -n 5 /tmp/kiosk.out; test \$rc = 0"
	check doctor 600 "emojify doctor"
	check numpy-apt 300 "$numpy_is_apts && echo 'apt python3-numpy: $apt_numpy'; cat $venv/pip.conf $venv/emojify-constraints.txt"
	check pip-hint 1800 "cd $repo && $venv/bin/pip install --progress-bar off -e '.[demo]' 2>&1 | tail -n 3 && $numpy_is_apts"
	check pin-holds 900 "cd $repo && if $venv/bin/pip install --dry-run --progress-bar off 'numpy!=$apt_numpy' >/tmp/pin.log 2>&1; then cat /tmp/pin.log; echo 'pip would replace apt numpy'; exit 1; fi; grep -i -m 3 'conflict\\|cannot install' /tmp/pin.log; $numpy_is_apts"
	check coral 900 "cd $repo && sudo ./setup.sh --coral 2>&1 | tee /tmp/coral.log | grep -i 'udev\\|plugdev'; test \${PIPESTATUS[0]} = 0"
	check user-root 300 "cd $repo && ! sudo ./setup.sh --user root"
	if [[ "$PART" == full ]]; then
		check setup-dev 3600 "cd $repo && sudo ./setup.sh --dev"
		check test-tools 900 "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${TEST_PACKAGES[*]} >/dev/null && echo installed ${TEST_PACKAGES[*]}"
		check tests "$TEST_TIMEOUT" "cd $repo && .venv/bin/python -m pytest -p no:cacheprovider -q -rfEs --durations=30 --junitxml=/tmp/junit.xml $PYTEST_ARGS"
		if [[ -f "$ROOT/tmp/junit.xml" ]]; then
			RESULTS+=("$(python3 - "$ROOT/tmp/junit.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suite = root if root.tag == "testsuite" else root.find("testsuite")
n, f, e, s = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
print(f"pytest: {n - f - e - s} passed, {f} failed, {e} errors, {s} skipped of {n}; {float(suite.get('time', 0)):.0f} s")
EOF
			)")
		fi
	fi
}

# This machine's own CA certificates (a TLS-intercepting proxy in front of PyPI): the root's pip
# must trust them too. Per run, not in the cached base: they may change.
trust_host_cas() {
	local crt found=0
	for crt in /usr/local/share/ca-certificates/*.crt; do
		[[ -f "$crt" ]] || continue
		install -D -m 0644 "$crt" "$ROOT/usr/local/share/ca-certificates/host-$(basename "$crt")"
		found=1
	done
	if ((found)); then
		say "trusting this machine's CA certificates from /usr/local/share/ca-certificates"
		in_root update-ca-certificates >/dev/null 2>&1 || say "update-ca-certificates failed in the root: pip may not reach PyPI"
	fi
}

inside_release() { # inside_release RELEASE (runs in the private namespace)
	local release="$1" base="$CACHE/base/$1" run="$CACHE/runs/$1" started
	started="$(date +%s)"
	mount --make-rprivate /
	if ((FRESH_BASE)) || [[ "$(cat "$base/.emojify-base" 2>/dev/null)" != "$BASE_VERSION" ]]; then
		local t0
		t0="$(date +%s)"
		build_base "$release" "$base"
		say "$release: base root ready in $(($(date +%s) - t0)) s ($base)"
	else
		say "$release: cached base root $base"
	fi
	if ((!REUSE)); then rm -rf "$run"; fi
	mkdir -p "$run/upper" "$run/work" "$run/root" "$CACHE/downloads/$release/apt" "$CACHE/downloads/$release/pip"
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$run/root"
	ROOT="$run/root"
	mount_system "$ROOT"
	# A Pi's name (this is a UTS namespace of its own), so that sudo can resolve it.
	hostname raspberrypi
	printf 'raspberrypi\n' >"$ROOT/etc/hostname"
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\traspberrypi\n' >"$ROOT/etc/hosts"
	default_cpu "$release" >"$ROOT$LIBEXEC/cpu"
	trust_host_cas
	# Downloads survive the run: apt's .debs and pi's pip cache.
	mount --bind "$CACHE/downloads/$release/apt" "$ROOT/var/cache/apt/archives"
	local pi_uid
	pi_uid="$(in_root id -u pi)"
	install -d -o "$pi_uid" -g "$pi_uid" "$ROOT/home/pi/.cache"
	chown "$pi_uid:$pi_uid" "$CACHE/downloads/$release/pip"
	install -d -o "$pi_uid" -g "$pi_uid" "$ROOT/home/pi/.cache/pip"
	mount --bind "$CACHE/downloads/$release/pip" "$ROOT/home/pi/.cache/pip"

	# The clone: this working tree's tracked (and new, not ignored) files, owned by pi.
	if ((!REUSE)) || [[ ! -d "$ROOT/home/pi/emojify-edge" ]]; then
		install -d -o "$pi_uid" -g "$pi_uid" "$ROOT/home/pi/emojify-edge"
	fi
	(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$ROOT/home/pi/emojify-edge" --no-same-owner -xf -
	chown -R "$pi_uid:$pi_uid" "$ROOT/home/pi/emojify-edge"

	LOG="$CACHE/logs/$release-latest.log"
	local qemu_version python_version
	qemu_version="$("$CACHE/qemu/qemu-aarch64" --version | head -n 1)"
	python_version="$(in_root python3 --version)"
	{
		printf 'arm64 check: Debian %s (%s), %s, emulated CPU %s\n' "$release" "$python_version" "$qemu_version" "$(cat "$ROOT$LIBEXEC/cpu")"
		printf 'repository: %s (%s%s)\n' "$REPO" "$(git -C "$REPO" rev-parse --short HEAD)" "$(git -C "$REPO" diff --quiet HEAD || echo ', with uncommitted changes')"
		printf 'host: %s, %s cores; started %s\n' "$(uname -m)" "$(nproc)" "$(date -u +%FT%TZ)"
	} >"$LOG"
	say "$release: $(head -n 1 "$LOG")"
	say "$release: log: $LOG"
	[[ "$PART" == none ]] || run_checks "$release"
	[[ -z "$EXTRA_CODE" ]] || check run "$TEST_TIMEOUT" "$EXTRA_CODE"

	local took=$(($(date +%s) - started)) header
	header="$(head -n 3 "$LOG")"
	{
		printf '%s\n' "$header"
		printf '%s\n' "${RESULTS[@]}"
		printf 'total: %d min %02d s, %s\n' $((took / 60)) $((took % 60)) "$( ((FAILED)) && echo 'SOME CHECKS FAILED' || echo 'all checks passed')"
	} | tee "$CACHE/logs/$release-latest.summary" >>"$LOG"
	if ((SHELL_AFTER)); then
		say "a login shell as pi in the $release root (exit to finish; it is thrown away next run)"
		in_root runuser -l pi || true
	fi
	return "$FAILED"
}

# ----------------------------------------------------------------------------- main
if [[ "${1:-}" == __inside ]]; then
	shift
	release="$1"
	shift
	parse_args "$@"
	inside_release "$release"
	exit $?
fi

parse_args "$@"
check_host "$@"
# One check at a time: the binfmt_misc entry and the caches are shared.
exec 9>"$CACHE/.lock"
flock -n 9 || die "another arm64_check.sh is running (lock $CACHE/.lock)"
ensure_qemu
ensure_wrapper
trap binfmt_unregister EXIT
binfmt_register

overall=0
for release in "${RELEASES[@]}"; do
	rc=0
	# -f: a new PID 1 for the root; --kill-child: it and everything below die with this script.
	unshare --mount --pid --uts --fork --kill-child --propagation private \
		"$SELF" __inside "$release" "$@" 9>&- || rc=$?
	((rc == 0)) || overall=1
done
printf '\n'
for release in "${RELEASES[@]}"; do
	if [[ -f "$CACHE/logs/$release-latest.summary" ]]; then
		cat "$CACHE/logs/$release-latest.summary"
		printf '\n'
	fi
done
exit "$overall"

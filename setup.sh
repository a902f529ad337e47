#!/usr/bin/env bash
# Emojify Edge installer.
#
#   On the Raspberry Pi (64-bit Raspberry Pi OS / Debian Bookworm or Trixie, aarch64), as root:
#       sudo ./setup.sh --service kiosk        # or: --service headless
#     installs the apt packages (picamera2, emoji font, EGL/GBM/DRM/Mesa), a virtual environment
#     that sees apt's picamera2 (and keeps apt's numpy for every later pip call), the service
#     user, /etc/emojify/config.toml, the systemd unit and an `emojify` command for every user.
#
#   On any other Linux, or without root (a development PC, CI):
#       ./setup.sh            # .venv with the app, display and demo extras
#       ./setup.sh --dev      # + PyTorch and the dev/train tools
#
# Safe to run again: finished steps are skipped, an existing /etc/emojify/config.toml is kept.
set -euo pipefail
set -o errtrace

# ----------------------------------------------------------------------------- settings
readonly TORCH_PIN="torch==2.13.0"
# apt packages for the Pi (same names on Bookworm and Trixie). python3-picamera2 comes from the
# Raspberry Pi repository and is optional elsewhere (a USB camera works through OpenCV).
# libgl1-mesa-dri: the vc4/v3d drivers libgbm/libEGL load for the KMS/DRM kiosk (only a
# Recommends of libgbm1 on Bookworm, which --no-install-recommends would leave out).
readonly PI_APT_PACKAGES=(python3-venv fonts-noto-color-emoji libegl1 libgles2 libgbm1 libdrm2 libgl1-mesa-dri acl)
readonly PI_APT_CAMERA=python3-picamera2
readonly SERVICE_GROUPS=(video render input plugdev)
readonly CONFIG_DIR=/etc/emojify
readonly UNIT_DIR=/etc/systemd/system
readonly UDEV_RULE=/etc/udev/rules.d/99-edgetpu.rules
readonly COMMAND_LINK=/usr/local/bin/emojify
# With apt's numpy 1.x (Bookworm), the newest releases of these need numpy 2: without the bounds
# pip tries (and downloads) each newer release before it settles on the last one that fits.
readonly NUMPY1_BOUNDS=("opencv-python-headless<4.12" "scipy<1.16" "ml_dtypes<0.6")
readonly MIN_PY_MINOR=11 # Python 3.11+
# Shipped defaults that changed: "section key old-value". An installed config that still holds
# the old value (it was copied from an older template) gets today's line from systemd/config.toml;
# a value its owner chose is kept.
readonly CHANGED_DEFAULTS=("log max_bytes 10000000" "log backups 3" "faces min_size 40")

INSTALL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
readonly INSTALL_DIR
readonly VENV="$INSTALL_DIR/.venv"
readonly STAMP="$VENV/.emojify-setup"

SERVICE=""
SERVICE_USER="emojify"
WITH_MQTT=0
WITH_CORAL=0
WITH_DEV=0
UNINSTALL=0
FORCE=0
DRY_RUN=0
PLATFORM=""
PYTHON="${PYTHON:-}"
ORIG_ARGS=""

# ----------------------------------------------------------------------------- messages
STEP="start"
HINT=""

say() { printf '[emojify] %s\n' "$*"; }
warn() { printf '[emojify] WARNING: %s\n' "$*" >&2; }
die() {
	printf '[emojify] ERROR: %s\n' "$1" >&2
	shift
	local line
	for line in "$@"; do printf '[emojify]   %s\n' "$line" >&2; done
	exit 1
}

# step "what is being done" "what to try when it fails"
step() {
	STEP="$1"
	HINT="${2:-}"
	say "$STEP"
}

on_error() {
	local rc=$?
	trap - ERR
	printf '[emojify] ERROR: this step failed (exit %s): %s\n' "$rc" "$STEP" >&2
	if [[ -n "$HINT" ]]; then printf '[emojify]   Try: %s\n' "$HINT" >&2; fi
	printf '[emojify]   Then run %s again: finished steps are skipped.\n' "$0" >&2
	exit "$rc"
}
trap on_error ERR

# run CMD...: runs it, or only prints it with --dry-run.
run() {
	if ((DRY_RUN)); then
		say "would run: $(printf '%q ' "$@")"
	else
		"$@"
	fi
}

usage() {
	cat <<EOF
Usage: ./setup.sh [options]

Installs Emojify Edge from this clone ($INSTALL_DIR).

On a Raspberry Pi with 64-bit Raspberry Pi OS (Debian Bookworm or Trixie, aarch64), run as root:
  apt packages ($PI_APT_CAMERA ${PI_APT_PACKAGES[*]}),
  .venv with --system-site-packages (picamera2 comes from apt) and the [display,demo] extras,
  numpy pinned to apt's for every pip call in .venv (.venv/pip.conf), $COMMAND_LINK,
  the service user, $CONFIG_DIR/config.toml (only if absent) and, with --service, the unit.
Anywhere else, or without root: a plain .venv with the [display,demo] extras (a development PC).

Options:
  --service kiosk|headless  (Pi, root) install, enable and (re)start emojify-KIND.service and
                            disable the other one. kiosk: fullscreen emoji on tty1 (KMS/DRM);
                            headless: no screen, expressions to /var/log/emojify/expressions.jsonl
  --mqtt                    also install the [mqtt] extra (fleet telemetry)
  --coral                   Coral USB Edge TPU: udev rule $UDEV_RULE (group plugdev),
                            plugdev membership, and the steps to install libedgetpu by hand
  --dev                     (PC) also install $TORCH_PIN and the [dev,train] extras;
                            (Pi) the [dev] extra only, for running the tests there
  --user NAME               service user (default: emojify; created as a system user; not root)
  --uninstall-service       (root) stop, disable and remove the Emojify units; keeps
                            $CONFIG_DIR, the service user and .venv
  --force                   reinstall the Python packages even when nothing changed
  --dry-run                 print what would be changed instead of changing it
  --platform pi|dev         skip detection (for testing this script; pair with --dry-run)
  -h, --help                this help

Environment: PYTHON=/path/to/python3.X picks the interpreter for the development .venv.

Examples:
  ./setup.sh --dev && . .venv/bin/activate && pytest -q      # development PC
  sudo ./setup.sh --service kiosk                            # the Pi, with a screen
  sudo ./setup.sh --service headless --mqtt --coral          # the Pi, headless, Coral, MQTT
EOF
}

# ----------------------------------------------------------------------------- options
parse_args() {
	while (($#)); do
		case "$1" in
		--service)
			(($# >= 2)) || die "--service needs a value: kiosk or headless"
			SERVICE="$2"
			shift
			;;
		--service=*) SERVICE="${1#*=}" ;;
		--user)
			(($# >= 2)) || die "--user needs a name"
			SERVICE_USER="$2"
			shift
			;;
		--user=*) SERVICE_USER="${1#*=}" ;;
		--platform)
			(($# >= 2)) || die "--platform needs a value: pi or dev"
			PLATFORM="$2"
			shift
			;;
		--platform=*) PLATFORM="${1#*=}" ;;
		--mqtt) WITH_MQTT=1 ;;
		--coral) WITH_CORAL=1 ;;
		--dev) WITH_DEV=1 ;;
		--uninstall-service) UNINSTALL=1 ;;
		--force) FORCE=1 ;;
		--dry-run) DRY_RUN=1 ;;
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown option: $1" "See: $0 --help" ;;
		esac
		shift
	done
	case "$SERVICE" in
	"" | kiosk | headless) ;;
	*) die "--service must be kiosk or headless, not '$SERVICE'" ;;
	esac
	case "$PLATFORM" in
	"" | pi | dev) ;;
	*) die "--platform must be pi or dev, not '$PLATFORM'" ;;
	esac
	[[ "$SERVICE_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "--user '$SERVICE_USER' is not a valid user name"
	local uid
	uid="$(getent passwd "$SERVICE_USER" | cut -d: -f3 || true)"
	if [[ "$SERVICE_USER" == root || "$uid" == 0 ]]; then
		die "--user $SERVICE_USER: the service must not run as root (uid 0)." \
			"Leave --user out (the default system user 'emojify' gets exactly the groups it needs), or name an unprivileged user."
	fi
}

# ----------------------------------------------------------------------------- detection
OS_KERNEL=""
MACHINE=""
DPKG_ARCH=""
OS_ID=""
OS_CODENAME=""
OS_PRETTY=""
IS_PI_HW=0
MODE=""

is_root() { [[ "$(id -u)" == 0 ]]; }

detect_platform() {
	OS_KERNEL="$(uname -s)"
	MACHINE="$(uname -m)"
	if command -v dpkg >/dev/null 2>&1; then DPKG_ARCH="$(dpkg --print-architecture 2>/dev/null || true)"; fi
	if [[ -r /etc/os-release ]]; then
		# shellcheck source=/dev/null
		OS_ID="$(. /etc/os-release && printf '%s' "${ID:-}")"
		# shellcheck source=/dev/null
		OS_CODENAME="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
		# shellcheck source=/dev/null
		OS_PRETTY="$(. /etc/os-release && printf '%s' "${PRETTY_NAME:-}")"
	fi
	if [[ -r /proc/device-tree/model ]] && tr -d '\0' </proc/device-tree/model | grep -q "Raspberry Pi"; then
		IS_PI_HW=1
	fi
	local long_bit
	long_bit="$(getconf LONG_BIT 2>/dev/null || echo 64)"

	# A 32-bit userland cannot run the app anywhere: no LiteRT (ai-edge-litert) wheels for it.
	if [[ "$MACHINE" == armv6l || "$MACHINE" == armv7l || "$MACHINE" == armhf ||
		"$DPKG_ARCH" == armhf || "$DPKG_ARCH" == armel ||
		("$MACHINE" == aarch64 && "$long_bit" == 32) ]]; then
		die "this is a 32-bit ARM system (kernel $MACHINE, userland ${DPKG_ARCH:-$long_bit-bit})." \
			"Emojify Edge needs the 64-bit Raspberry Pi OS: there are no LiteRT (ai-edge-litert) wheels for armv7l." \
			"Flash 'Raspberry Pi OS (64-bit)' or 'Raspberry Pi OS Lite (64-bit)' with Raspberry Pi Imager (Pi 3, 4, 5, Zero 2 W)."
	fi

	case "$OS_KERNEL" in
	Linux) ;;
	Darwin)
		warn "macOS: only the development environment is set up, and it is not tested here."
		;;
	*)
		die "unsupported operating system: $OS_KERNEL." \
			"The appliance runs on 64-bit Raspberry Pi OS; a development PC needs Linux (or WSL2) with Python >= 3.$MIN_PY_MINOR."
		;;
	esac

	if [[ -n "$PLATFORM" ]]; then
		MODE="$PLATFORM"
		say "platform forced: $MODE"
	elif [[ "$OS_KERNEL" == Linux && "$MACHINE" == aarch64 && ("$DPKG_ARCH" == arm64 || -z "$DPKG_ARCH") &&
		("$OS_ID" == debian || "$OS_ID" == raspbian) ]] && is_root; then
		MODE=pi
	else
		MODE=dev
	fi
	local who hw=""
	who="user $(id -un)"
	is_root && who=root
	((IS_PI_HW)) && hw=", Raspberry Pi hardware"
	say "detected: ${OS_PRETTY:-$OS_KERNEL} on $MACHINE${DPKG_ARCH:+ ($DPKG_ARCH)}$hw, $who -> $MODE setup"

	if [[ "$MODE" == pi ]]; then
		case "$OS_CODENAME" in
		bookworm | trixie) ;;
		"") warn "unknown Debian release; Bookworm (Python 3.11) and Trixie (Python 3.13) are supported." ;;
		*)
			if [[ -z "$PLATFORM" ]]; then
				die "unsupported release: ${OS_PRETTY:-$OS_CODENAME}." \
					"Emojify Edge supports 64-bit Raspberry Pi OS / Debian Bookworm (12) and Trixie (13)." \
					"Older releases ship Python < 3.$MIN_PY_MINOR. Flash a current 64-bit Raspberry Pi OS."
			fi
			;;
		esac
	elif ((IS_PI_HW)) && ! is_root; then
		say "not root: setting up a development .venv only (no picamera2, no service)."
		say "For the appliance run: sudo $0 --service kiosk   (or --service headless)"
	fi
}

# ----------------------------------------------------------------------------- python helpers
python_ok() { # python_ok EXE: is EXE a working Python >= 3.MIN_PY_MINOR?
	"$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, $MIN_PY_MINOR) else 1)" >/dev/null 2>&1
}

find_python() {
	local candidate
	if [[ -n "$PYTHON" ]]; then
		python_ok "$PYTHON" || die "PYTHON=$PYTHON is not a working Python >= 3.$MIN_PY_MINOR"
		return
	fi
	for candidate in python3 python3.13 python3.12 python3.11 /usr/bin/python3; do
		if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
			PYTHON="$(command -v "$candidate")"
			# Our own .venv is active: build from its base interpreter (the venv may be re-created).
			if [[ "$PYTHON" == "$VENV"/* ]]; then
				PYTHON="$("$PYTHON" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')"
			fi
			return
		fi
	done
	die "no Python >= 3.$MIN_PY_MINOR found (tried python3, python3.13, python3.12, python3.11)." \
		"Debian/Ubuntu: sudo apt install python3 python3-venv; or point PYTHON= at one, e.g. PYTHON=~/.pyenv/versions/3.11.9/bin/python $0"
}

sha256_of() { "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"; }

# Owner of the clone: the venv is built as this user so that it stays theirs after `sudo ./setup.sh`.
OWNER="$(id -un)"
as_owner() {
	if [[ "$OWNER" == "$(id -un)" ]]; then
		run "$@"
	else
		local home
		home="$(getent passwd "$OWNER" | cut -d: -f6)"
		run runuser -u "$OWNER" -- env HOME="${home:-/}" "$@"
	fi
}

venv_cfg() { # venv_cfg KEY: a value from .venv/pyvenv.cfg
	sed -n "s/^$1 *= *//p" "$VENV/pyvenv.cfg" 2>/dev/null | head -n 1
}

# ensure_venv SYSTEM_SITE(0|1): create .venv, or re-create it when it is broken or of the other kind.
ensure_venv() {
	local want_system="$1" reason=""
	local want_cfg=false
	((want_system)) && want_cfg=true
	if [[ -e "$VENV" ]]; then
		if [[ ! -x "$VENV/bin/python" ]] || ! python_ok "$VENV/bin/python"; then
			reason="it is broken or its Python is older than 3.$MIN_PY_MINOR"
		elif [[ "$(venv_cfg include-system-site-packages)" == true && "$want_cfg" == false ]]; then
			# The Pi's appliance venv (sees apt's picamera2): keep it, the service runs from it.
			say ".venv sees the system site-packages (made by the Pi setup): keeping it"
			return
		elif [[ "$(venv_cfg include-system-site-packages)" != "$want_cfg" ]]; then
			reason="include-system-site-packages is not $want_cfg (picamera2 comes from apt on the Pi)"
		elif ! "$VENV/bin/python" -I -c 'import sys; p = sys.argv[1]; import edge; sys.exit(0 if edge.__file__.startswith(p) else 1)' \
			"$INSTALL_DIR/" >/dev/null 2>&1 && [[ -f "$STAMP" ]]; then
			reason="it belongs to another copy of the project (moved clone?)"
		fi
		if [[ -n "$reason" ]]; then
			step "re-creating .venv: $reason" "remove $VENV by hand and run again"
			run rm -rf "$VENV"
		else
			say ".venv exists ($("$VENV/bin/python" -c 'import platform; print("Python", platform.python_version())'))"
			return
		fi
	fi
	local args=(-m venv)
	((want_system)) && args+=(--system-site-packages)
	local what
	what="$("$PYTHON" -c 'import platform; print("Python", platform.python_version())')"
	((want_system)) && what+=", --system-site-packages"
	step "creating .venv ($what)" "Debian/Ubuntu: sudo apt install python3-venv (or python3.X-venv for your Python)"
	if ! as_owner "$PYTHON" "${args[@]}" "$VENV"; then
		rm -rf "$VENV" # no half-made venv left behind: the next run starts clean
		false
	fi
}

# pip_install_project EXTRAS [CONSTRAINTS_FILE]: torch pin first with --dev on a PC, then -e .[EXTRAS].
pip_install_project() {
	local extras="$1" constraints="${2:-}"
	local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check)
	[[ -t 1 ]] || pip+=(--progress-bar off)
	[[ -n "$constraints" ]] && pip+=(-c "$constraints")

	local want torch=""
	if ((WITH_DEV)) && [[ "$MODE" == dev ]]; then torch="$TORCH_PIN"; fi
	want="mode=$MODE extras=$extras torch=$torch"
	want+=" python=$("$VENV/bin/python" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo none)"
	want+=" pyproject=$(sha256_of "$INSTALL_DIR/pyproject.toml")"
	[[ -n "$constraints" ]] && want+=" constraints=$(sha256_of "$constraints")"
	if ((!FORCE)) && [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -x "$VENV/bin/emojify" ]] &&
		"$VENV/bin/python" -I -c 'import edge' >/dev/null 2>&1; then
		say "Python packages are up to date (pyproject.toml unchanged; --force reinstalls)"
		return
	fi

	local hint="check the network (PyPI must be reachable: pip download --no-deps -d /tmp numpy), then run again; pip's own message is above"
	if [[ -n "$torch" ]]; then
		step "pip: installing $TORCH_PIN (large download unless a local wheel is configured)" "$hint"
		as_owner "${pip[@]}" "$TORCH_PIN"
	fi
	step "pip: installing emojify-edge in editable mode with [$extras]" "$hint"
	as_owner "${pip[@]}" -e "${INSTALL_DIR}[${extras}]"
	if ((!DRY_RUN)); then
		printf '%s\n' "$want" >"$STAMP"
		[[ "$OWNER" == "$(id -un)" ]] || chown "$OWNER" "$STAMP"
	fi
}

# ----------------------------------------------------------------------------- development setup
install_dev() {
	find_python
	say "using $PYTHON ($("$PYTHON" -c 'import platform; print(platform.python_version())'))"
	ensure_venv 0
	local extras="display,demo"
	((WITH_DEV)) && extras+=",dev,train"
	((WITH_MQTT)) && extras+=",mqtt"
	local constraints=""
	# Kept from the Pi setup: numpy stays apt's version (see write_pip_pins).
	[[ -f "$VENV/emojify-constraints.txt" ]] && constraints="$VENV/emojify-constraints.txt"
	pip_install_project "$extras" "$constraints"
	((WITH_CORAL)) && coral_dev_notes
	say "done. Next: . .venv/bin/activate && emojify --help"
	((WITH_DEV)) && say "tests: . .venv/bin/activate && pytest -q"
	return 0
}

coral_dev_notes() {
	say "--coral on this machine changes nothing. On the Pi (sudo $0 --coral) it would:"
	say "  - write $UDEV_RULE giving group plugdev the Coral USB ids 1a6e:089a and 18d1:9302"
	say "  - reload udev and add the service user (and you) to plugdev"
	say "  - print how to install libedgetpu (community build) by hand"
	say "Compiling a model for the Edge TPU (edgetpu_compiler, x86-64 Linux only) is a manual step: see models/README.md."
}

# ----------------------------------------------------------------------------- Pi setup
need_root() {
	is_root || die "$1 needs root: run sudo $0 $ORIG_ARGS"
}

apt_missing() { # print the packages in "$@" that are not installed
	local p
	for p in "$@"; do
		[[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] || printf '%s\n' "$p"
	done
}

apt_has_candidate() {
	local c
	c="$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1)"
	[[ -n "$c" && "$c" != "(none)" ]]
}

install_apt_packages() {
	local missing=()
	mapfile -t missing < <(apt_missing "${PI_APT_PACKAGES[@]}" "$PI_APT_CAMERA")
	if ((${#missing[@]} == 0)); then
		say "apt packages already installed"
		return
	fi
	if [[ "${missing[*]}" == "$PI_APT_CAMERA" ]] && ! apt_has_candidate "$PI_APT_CAMERA"; then
		warn "$PI_APT_CAMERA is not available from your apt sources (it comes from the Raspberry Pi repository):"
		warn "the Pi camera will not work; a USB camera still does (OpenCV). On Raspberry Pi OS it is always there."
		return
	fi
	local apt_hint="check the network and the clock (date), then: sudo apt-get update; a half-done install: sudo dpkg --configure -a"
	step "apt-get update" "$apt_hint"
	run env DEBIAN_FRONTEND=noninteractive apt-get update -q
	local install=() p
	for p in "${missing[@]}"; do
		if [[ "$p" == "$PI_APT_CAMERA" ]] && ! apt_has_candidate "$p"; then
			warn "$p is not available from your apt sources (it comes from the Raspberry Pi repository):"
			warn "the Pi camera will not work; a USB camera still does (OpenCV). On Raspberry Pi OS it is always there."
			continue
		fi
		install+=("$p")
	done
	((${#install[@]})) || return 0
	step "apt-get install ${install[*]}" "$apt_hint"
	run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${install[@]}"
}

# Pin the venv's numpy to apt's, for every pip call in the venv and not only this script's:
# picamera2's compiled helpers (simplejpeg, …) are built against apt's numpy, and a pip numpy of
# another version in the venv would shadow it and break them ("numpy.dtype size changed").
# .venv/pip.conf names the constraints file, so `.venv/bin/pip install ...` (or pip in the
# activated venv) keeps the pin too. Sets CONSTRAINTS to the file's path, or to "" when apt's
# Python has no numpy.
CONSTRAINTS=""
write_pip_pins() {
	local sys_numpy file="$VENV/emojify-constraints.txt" conf="$VENV/pip.conf" text
	CONSTRAINTS=""
	sys_numpy="$("$PYTHON" -c 'import numpy; print(numpy.__version__)' 2>/dev/null || true)"
	if [[ -z "$sys_numpy" ]]; then
		((DRY_RUN)) || rm -f "$file" "$conf"
		return 0
	fi
	say "pinning numpy==$sys_numpy for every pip call in .venv (the apt version that picamera2 is built against)"
	text="# Written by setup.sh: apt's numpy (picamera2 is built against it) and what fits with it.
numpy==$sys_numpy"
	if [[ "$sys_numpy" == 1.* ]]; then
		text+="$(printf '\n%s' "${NUMPY1_BOUNDS[@]}")"
	fi
	if ((!DRY_RUN)); then
		printf '%s\n' "$text" >"$file"
		printf '# Written by setup.sh: every pip in this venv keeps apt'"'"'s numpy.\n[global]\nconstraint = %s\n' "$file" >"$conf"
		[[ "$OWNER" == "$(id -un)" ]] || chown "$OWNER" "$file" "$conf"
	fi
	CONSTRAINTS="$file"
}

# A numpy that pip put into .venv (before the pin held for every pip call) shadows apt's: remove it.
remove_venv_numpy() {
	local origin
	[[ -n "$CONSTRAINTS" ]] || return 0
	origin="$("$VENV/bin/python" -c 'import importlib.util as u; s = u.find_spec("numpy"); print(s.origin if s else "")' 2>/dev/null || true)"
	[[ "$origin" == "$VENV"/* ]] || return 0
	step "removing the numpy that pip installed into .venv: apt's numpy is the one picamera2 needs" \
		"remove it by hand: $VENV/bin/pip uninstall numpy"
	as_owner "$VENV/bin/python" -m pip uninstall -y -q --disable-pip-version-check numpy
	((DRY_RUN)) || rm -f "$STAMP" # the next step re-checks every package against the pins
}

ensure_group() {
	getent group "$1" >/dev/null || run groupadd --system "$1"
}

ensure_service_user() {
	step "service user '$SERVICE_USER' (groups: ${SERVICE_GROUPS[*]})" "see the useradd/usermod message above"
	local g
	for g in "${SERVICE_GROUPS[@]}"; do ensure_group "$g"; done
	if ! getent passwd "$SERVICE_USER" >/dev/null; then
		run useradd --system --user-group --home-dir /var/lib/emojify --no-create-home \
			--shell /usr/sbin/nologin --comment "Emojify Edge" "$SERVICE_USER"
	fi
	local have missing=()
	have=" $(id -nG "$SERVICE_USER" 2>/dev/null || true) "
	for g in "${SERVICE_GROUPS[@]}"; do [[ "$have" == *" $g "* ]] || missing+=("$g"); done
	if ((${#missing[@]})); then
		run usermod -a -G "$(
			IFS=,
			echo "${missing[*]}"
		)" "$SERVICE_USER"
	fi
}

# The service user must read the clone and run its .venv. Inside the unit the clone is bound
# read-only (ProtectHome=tmpfs + BindReadOnlyPaths=), but its files still need read access and
# `sudo -u emojify …` debugging needs the parent directories to be searchable (Pi OS homes are 0700).
grant_read_access() {
	if ((DRY_RUN)) && ! getent passwd "$SERVICE_USER" >/dev/null; then
		say "would give $SERVICE_USER read access to $INSTALL_DIR"
		return
	fi
	if runuser -u "$SERVICE_USER" -- test -r "$INSTALL_DIR/pyproject.toml" -a -x "$VENV/bin/python" 2>/dev/null &&
		runuser -u "$SERVICE_USER" -- "$VENV/bin/python" -c 'import edge' >/dev/null 2>&1; then
		say "$SERVICE_USER can read $INSTALL_DIR"
		return
	fi
	step "giving $SERVICE_USER read access to $INSTALL_DIR" "clone the project to /opt/emojify-edge instead and run setup.sh there"
	local dir="$INSTALL_DIR"
	if command -v setfacl >/dev/null 2>&1; then
		while [[ "$dir" != / ]]; do
			dir="$(dirname "$dir")"
			runuser -u "$SERVICE_USER" -- test -x "$dir" 2>/dev/null || run setfacl -m "u:$SERVICE_USER:x" "$dir"
		done
		run setfacl -R -m "u:$SERVICE_USER:rX" "$INSTALL_DIR"
		# New files (a git pull, a new model) stay readable too.
		run find "$INSTALL_DIR" -type d -exec setfacl -d -m "u:$SERVICE_USER:rX" {} +
	else
		warn "setfacl not found (apt install acl): using chmod o+rX instead"
		while [[ "$dir" != / ]]; do
			dir="$(dirname "$dir")"
			run chmod o+x "$dir"
		done
		run chmod -R o+rX "$INSTALL_DIR"
	fi
}

# A password in the config (an [mqtt] password or a user:password@ URL).
config_has_secret() {
	grep -Eq '^[[:space:]]*password[[:space:]]*=[[:space:]]*["'"'"'][^"'"'"']' "$1" ||
		grep -Eq '://[^/@"'"'"'[:space:]]*:[^/@"'"'"'[:space:]]+@' "$1"
}

# toml_key_line FILE SECTION KEY [OLD [NEW_LINE]]: without OLD, print the line that sets KEY in
# [SECTION] of FILE. With OLD and NEW_LINE, print FILE with that line replaced by NEW_LINE when its
# value is OLD (underscores and a trailing comment ignored); exits 1 when nothing was replaced.
toml_key_line() {
	awk -v sec="$2" -v key="$3" -v old="${4:-}" -v new="${5:-}" '
		/^[[:space:]]*\[/ { cur = $0; sub(/^[[:space:]]*\[[[:space:]]*/, "", cur); sub(/[[:space:]]*\].*$/, "", cur) }
		{
			line = $0; sub(/#.*/, "", line); hit = 0
			if (cur == sec && line ~ ("^[[:space:]]*" key "[[:space:]]*=")) {
				value = line; sub(/^[^=]*=/, "", value); gsub(/[[:space:]_]/, "", value); hit = 1
			}
			if (old == "") { if (hit) { print; found = 1; exit } ; next }
			if (hit && value == old) { print new; found = 1 } else print
		}
		END { exit found ? 0 : 1 }' "$1"
}

# migrate_config DST TEMPLATE: the keys of CHANGED_DEFAULTS that DST still holds at their old
# value get TEMPLATE's line (today's default and its comment). Mode and owner are kept.
migrate_config() {
	local dst="$1" src="$2" entry section key old new shown tmp
	[[ -f "$src" ]] || return 0
	for entry in "${CHANGED_DEFAULTS[@]}"; do
		read -r section key old <<<"$entry"
		new="$(toml_key_line "$src" "$section" "$key")" || continue
		toml_key_line "$dst" "$section" "$key" "$old" "$new" >/dev/null || continue
		shown="${new%%#*}"
		shown="${shown%"${shown##*[![:space:]]}"}"
		if ((DRY_RUN)); then
			say "would update $dst: [$section] $key = $old (an old default) -> $shown"
			continue
		fi
		tmp="$(mktemp "$dst.XXXXXX")"
		toml_key_line "$dst" "$section" "$key" "$old" "$new" >"$tmp"
		chmod --reference="$dst" "$tmp"
		chown --reference="$dst" "$tmp" 2>/dev/null || true
		mv -f "$tmp" "$dst"
		say "updated $dst: [$section] $key = $old was the old default, now $shown (your own settings are kept)"
	done
}

# The config is readable by every user, so that `emojify run`, `doctor` and `capture` work for
# the login user without sudo, unless it holds a password: then only root and the service's group.
install_config() {
	local src="$INSTALL_DIR/systemd/config.toml" dst="$CONFIG_DIR/config.toml" group
	group="$(id -gn "$SERVICE_USER" 2>/dev/null || echo root)"
	run install -d -m 0755 "$CONFIG_DIR"
	if [[ -e "$dst" ]]; then
		say "keeping your $dst (the shipped default is $src)"
		migrate_config "$dst" "$src"
		if config_has_secret "$dst"; then
			if [[ "$(stat -c %a "$dst")" != 640 ]]; then
				say "$dst holds a password: making it readable by root and group $group only"
				run chown "root:$group" "$dst"
				run chmod 0640 "$dst"
			fi
			warn "$dst holds a password, so only root and the service can read it: run emojify with sudo to use it."
		elif [[ "$(stat -c %a "$dst")" != 644 ]]; then
			say "making $dst readable by every user (it holds no password), so emojify works without sudo"
			run chmod 0644 "$dst"
		fi
	elif [[ -f "$src" ]]; then
		step "writing $dst from $src" "check that $CONFIG_DIR is writable"
		run install -m 0644 -o root -g root "$src" "$dst"
	else
		warn "$src is missing: no $dst written (the service will not start without it)"
	fi
	local env_file="$CONFIG_DIR/environment"
	if [[ ! -e "$env_file" ]]; then
		step "writing $env_file (variables for the service; readable by root only)" "check that $CONFIG_DIR is writable"
		if ((DRY_RUN)); then
			say "would write $env_file"
		else
			install -m 0600 -o root -g root /dev/null "$env_file"
			cat >"$env_file" <<'EOF'
# Emojify Edge: environment variables for the service (emojify-kiosk / emojify-headless).
# systemd reads this file as root before the service starts; it is readable by root only.
# One VARIABLE=value per line; restart the service after a change.
#
# Pi 5 showing nothing on the screen (SDL picked the wrong DRM card):
#SDL_KMSDRM_DEVICE_INDEX=1
EOF
		fi
	fi
}

# `emojify` for every user (the docs say `emojify capture`, `emojify doctor`): a link to .venv's.
link_command() {
	local target="$VENV/bin/emojify"
	if [[ -L "$COMMAND_LINK" && "$(readlink "$COMMAND_LINK")" == "$target" ]]; then
		say "$COMMAND_LINK -> $target"
		return
	fi
	if [[ -e "$COMMAND_LINK" && ! -L "$COMMAND_LINK" ]]; then
		warn "$COMMAND_LINK exists and is not a link made by setup.sh: left alone. Run $target instead."
		return
	fi
	if [[ -L "$COMMAND_LINK" ]]; then
		say "$COMMAND_LINK pointed to $(readlink "$COMMAND_LINK"): now to this clone's"
	fi
	step "linking $COMMAND_LINK -> $target (emojify for every user)" "check that $(dirname "$COMMAND_LINK") is writable"
	run install -d -m 0755 "$(dirname "$COMMAND_LINK")"
	run ln -sfn "$target" "$COMMAND_LINK"
}

render_unit() { # render_unit KIND > file
	local text
	text="$(<"$INSTALL_DIR/systemd/emojify-$1.service")"
	text="${text//@INSTALL_DIR@/"$INSTALL_DIR"}"
	text="${text//@USER@/"$SERVICE_USER"}"
	printf '%s\n' "$text"
}

systemd_running() { [[ -d /run/systemd/system ]]; }
udev_running() { [[ -S /run/udev/control ]] && command -v udevadm >/dev/null 2>&1; }

install_service() {
	local kind="$1" other unit other_unit dst tmp
	[[ "$kind" == kiosk ]] && other=headless || other=kiosk
	unit="emojify-$kind.service"
	other_unit="emojify-$other.service"
	dst="$UNIT_DIR/$unit"
	if [[ "$INSTALL_DIR" =~ [[:space:]%\\\"\'] ]]; then
		die "the install directory '$INSTALL_DIR' contains a space, %, quote or backslash, which unit files cannot hold." \
			"Move the clone, e.g. sudo mv '$INSTALL_DIR' /opt/emojify-edge, and run setup.sh there."
	fi
	[[ -x "$VENV/bin/emojify" ]] || ((DRY_RUN)) || die "$VENV/bin/emojify is missing: the pip step did not finish"

	step "installing $dst" "check $INSTALL_DIR/systemd/$unit"
	tmp="$(mktemp)"
	render_unit "$kind" >"$tmp"
	if [[ -f "$dst" ]] && cmp -s "$tmp" "$dst"; then
		say "$dst is up to date"
		rm -f "$tmp"
	else
		run install -m 0644 "$tmp" "$dst"
		rm -f "$tmp"
	fi

	if ! systemd_running; then
		warn "systemd is not running here (chroot/container/image build): enabling $unit for the next boot only"
		[[ -f "$UNIT_DIR/$other_unit" ]] && run systemctl disable "$other_unit"
		run systemctl enable "$unit"
		return
	fi
	step "systemctl daemon-reload" "journalctl -b -u systemd --no-pager | tail"
	run systemctl daemon-reload
	if [[ -f "$UNIT_DIR/$other_unit" ]]; then
		step "disabling $other_unit (both need the camera)" ""
		run systemctl disable --now "$other_unit"
	fi
	if [[ "$kind" == kiosk ]] && [[ "$(systemctl get-default 2>/dev/null || true)" == graphical.target ]]; then
		warn "this Pi boots to a desktop, which holds the screen: the kiosk needs console boot."
		warn "  sudo raspi-config nonint do_boot_behaviour B1 && sudo reboot   (or raspi-config > System > Boot)"
	fi
	step "enabling and (re)starting $unit" "journalctl -u $unit -b --no-pager | tail -n 50"
	run systemctl enable "$unit"
	if ! run systemctl restart "$unit"; then
		die "$unit did not start." "See why: journalctl -u $unit -b --no-pager | tail -n 50" \
			"Check the config: $VENV/bin/emojify run --config $CONFIG_DIR/config.toml --display none (as root, Ctrl-C to stop)"
	fi
	((DRY_RUN)) || say "$unit is $(systemctl is-active "$unit" 2>/dev/null || true)"
}

uninstall_service() {
	need_root "--uninstall-service"
	local kind unit removed=0
	for kind in kiosk headless; do
		unit="emojify-$kind.service"
		[[ -f "$UNIT_DIR/$unit" ]] || continue
		step "removing $unit" "systemctl status $unit"
		if systemd_running; then
			run systemctl disable --now "$unit"
		else
			run systemctl disable "$unit"
		fi
		run rm -f "$UNIT_DIR/$unit"
		removed=1
	done
	if ((removed)) && systemd_running; then run systemctl daemon-reload; fi
	((removed)) || say "no Emojify unit installed"
	say "kept: $CONFIG_DIR, the user '$SERVICE_USER', /var/lib/emojify, /var/log/emojify, $VENV and $COMMAND_LINK"
	say "remove them by hand if wanted: sudo rm -r $CONFIG_DIR /var/lib/emojify /var/log/emojify $COMMAND_LINK; sudo userdel $SERVICE_USER"
}

install_coral() {
	step "Coral Edge TPU: udev rule $UDEV_RULE" "check /etc/udev/rules.d is writable"
	local rule
	rule='# Coral USB Accelerator: before firmware load (1a6e:089a) and after (18d1:9302). Written by emojify setup.sh.
SUBSYSTEMS=="usb", ATTRS{idVendor}=="1a6e", ATTRS{idProduct}=="089a", MODE="0664", GROUP="plugdev"
SUBSYSTEMS=="usb", ATTRS{idVendor}=="18d1", ATTRS{idProduct}=="9302", MODE="0664", GROUP="plugdev"'
	ensure_group plugdev
	if [[ -f "$UDEV_RULE" && "$(<"$UDEV_RULE")" == "$rule" ]]; then
		say "$UDEV_RULE is up to date"
	else
		if ((DRY_RUN)); then
			say "would write $UDEV_RULE"
		else
			install -d -m 0755 "$(dirname "$UDEV_RULE")"
			printf '%s\n' "$rule" >"$UDEV_RULE"
		fi
		if udev_running; then
			step "udevadm: reloading the rules, re-checking USB devices" "sudo udevadm control --reload-rules (or unplug and re-plug the Coral)"
			run udevadm control --reload-rules
			run udevadm trigger --subsystem-match=usb --action=add
		else
			say "udev is not running here (chroot/container/image build): the rule applies from the next boot"
		fi
	fi
	local u
	for u in "$SERVICE_USER" "${SUDO_USER:-}"; do
		[[ -n "$u" && "$u" != root ]] || continue
		getent passwd "$u" >/dev/null || continue
		if [[ " $(id -nG "$u") " != *" plugdev "* ]]; then
			run usermod -a -G plugdev "$u"
			[[ "$u" == "${SUDO_USER:-}" ]] && say "$u is now in plugdev (log out and in again for it to count)"
		fi
	done
	if ldconfig -p 2>/dev/null | grep -q 'libedgetpu\.so\.1'; then
		say "libedgetpu.so.1 is installed"
	else
		say "libedgetpu is not installed. Coral's own apt package (libedgetpu1-std 16.0, 2021) is built for"
		say "old TensorFlow Lite releases and can crash today's runtime; install the community build instead:"
		say "  1. Open https://github.com/feranick/libedgetpu/releases and download the Debian 12 (bookworm)"
		say "     arm64 package libedgetpu1-std_<version>_arm64.deb (libedgetpu1-max runs hotter and faster)."
		say "     On Trixie the bookworm package is the one to try (not verified)."
		say "  2. Install it with its dependency (libusb): sudo apt install ./libedgetpu1-std_*_arm64.deb"
		say "  3. Check: ldconfig -p | grep libedgetpu.so.1"
		say "  4. Unplug and re-plug the Coral; lsusb shows 1a6e:089a, then 18d1:9302 once it is in use."
		say "  5. The model must be compiled for the TPU on an x86-64 PC with edgetpu_compiler (from Coral's"
		say "     apt repository, x86-64 only): see models/README.md. Keep the plain int8 model next to the"
		say "     *_edgetpu.tflite one (CPU fallback). Then: emojify doctor"
	fi
}

install_pi() {
	need_root "the Raspberry Pi setup"
	OWNER="$(stat -c %U "$INSTALL_DIR")"
	getent passwd "$OWNER" >/dev/null || OWNER="$(id -un)"
	install_apt_packages
	PYTHON=/usr/bin/python3 # apt's: picamera2 and libcamera are built for it
	if ! python_ok "$PYTHON"; then
		((DRY_RUN)) || die "$PYTHON is missing or older than 3.$MIN_PY_MINOR." "Use 64-bit Raspberry Pi OS Bookworm or Trixie."
	fi
	ensure_venv 1
	local extras="display,demo" # demo: the built-in demo source, for trying it without a camera
	write_pip_pins
	remove_venv_numpy
	((WITH_MQTT)) && extras+=",mqtt"
	((WITH_DEV)) && extras+=",dev" && say "--dev on the Pi: adding the [dev] extra (tests); PyTorch/training stay on the PC"
	pip_install_project "$extras" "$CONSTRAINTS"
	if ((!DRY_RUN)); then
		as_owner "$VENV/bin/python" -m compileall -q "$INSTALL_DIR/edge" >/dev/null || true
		if "$VENV/bin/python" -c 'import picamera2' >/dev/null 2>&1; then
			say "picamera2 is importable from .venv"
		else
			warn "picamera2 cannot be imported from .venv: the Pi camera will not work (USB cameras will)."
		fi
	fi
	ensure_service_user
	grant_read_access
	install_config
	link_command
	((WITH_CORAL)) && install_coral
	if [[ -n "$SERVICE" ]]; then
		install_service "$SERVICE"
		say "done. Status: emojify service status   Logs: journalctl -u emojify-$SERVICE -f   Check: emojify doctor"
	else
		say "done. Install a service with: sudo $0 --service kiosk   (or --service headless)"
		say "Or try it by hand: emojify doctor, then emojify run --display none (Ctrl-C stops it)"
	fi
	return 0
}

# ----------------------------------------------------------------------------- main
main() {
	ORIG_ARGS="$*"
	parse_args "$@"
	detect_platform

	if ((UNINSTALL)); then
		uninstall_service
		[[ -z "$SERVICE" ]] && exit 0
	fi

	if [[ "$MODE" == pi ]]; then
		install_pi
	else
		if [[ -n "$SERVICE" ]]; then
			die "--service needs 64-bit Raspberry Pi OS / Debian (aarch64) and root; this is ${OS_PRETTY:-$OS_KERNEL} on $MACHINE as $(id -un)." \
				"On the Pi: sudo $0 --service $SERVICE"
		fi
		install_dev
	fi
}

# Sourced (the tests call single functions), nothing runs.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi

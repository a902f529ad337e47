"""The camera image on screen, with the face boxes (never stored)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from edge.core.types import FrameReport
from edge.display.theme import PRIMARY_BOX, TEXT_DIM, TRACK, Box

if TYPE_CHECKING:
    import pygame


def draw_preview(screen: pygame.Surface, report: FrameReport, box: Box, line: int) -> None:
    """The camera image fitted into the top of ``box`` with the face boxes (the primary one in green).

    Args:
        screen: Where to draw.
        report: The frame (its RGB preview, else its grey image) and the faces found in it.
        box: ``(x, y, w, h)`` the image is fitted into.
        line: Line width of the boxes and the frame around the image, in pixels.
    """
    import pygame

    frame = report.frame
    img = frame.preview if frame.preview is not None else frame.gray
    if img is None or img.size == 0 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        return
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    img = np.ascontiguousarray(img, dtype=np.uint8)
    ih, iw = img.shape[:2]
    bx, by, bw, bh = box
    scale = min(bw / iw, bh / ih)
    tw, th = max(1, round(iw * scale)), max(1, round(ih * scale))
    dst = pygame.Rect(bx + (bw - tw) // 2, by, tw, th)
    surf = pygame.image.frombuffer(img.data, (iw, ih), "RGB")
    screen.blit(pygame.transform.smoothscale(surf, (tw, th)), dst)
    gh, gw = frame.gray.shape[:2] if frame.gray.size else (ih, iw)
    sx, sy = tw / gw, th / gh
    for i, face in enumerate(report.faces):
        b = face.box
        rect = pygame.Rect(dst.x + round(b.x * sx), dst.y + round(b.y * sy), round(b.w * sx), round(b.h * sy))
        primary = i == report.primary
        pygame.draw.rect(screen, PRIMARY_BOX if primary else TEXT_DIM, rect.clip(dst), line * 2 if primary else line)
    pygame.draw.rect(screen, TRACK, dst.inflate(line * 2, line * 2), line, border_radius=line * 2)

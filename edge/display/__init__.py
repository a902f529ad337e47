"""The screen: whether one can be used, its theme, its layout, emoji artwork, opening and closing it.

Rule: pygame is imported only inside functions here (and in the kiosk and capture screens that
draw with it), so headless installs never need it. :mod:`~edge.display.modes` names the valid
display modes (the config's choices), :mod:`~edge.display.probe` checks one without opening a
window, :mod:`~edge.display.theme` holds colours and texts, :mod:`~edge.display.layout` the
geometry, :mod:`~edge.display.emoji_art` the artwork and :mod:`~edge.display.screen` opens and
closes the pygame display. The kiosk's screens are lists of elements
(:mod:`~edge.display.screens`, :mod:`~edge.display.elements`, :mod:`~edge.display.score_bars`,
:mod:`~edge.display.message_elements`, :mod:`~edge.display.debug_panel`) that
:mod:`~edge.display.scene` repaints only where they changed; :mod:`~edge.display.transition`
times a screen change. It imports :mod:`edge.core` only; the drawing sinks import it.
"""

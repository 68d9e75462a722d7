"""The maps' colours: labels (Okabe-Ito), LISA quadrants (GeoDa's), LQ classes (ColorBrewer RdBu),
no data, the base boundaries and the page.
"""

from __future__ import annotations

# Okabe-Ito colours (readable with colour-blindness), as in the notebooks.
LABEL_COLOURS = {"technology": "#0072B2", "industrial-production": "#D55E00", "other": "#009E73"}


# LISA quadrants in GeoDa's colours; ns = not significant at spatial.alpha.
QUADRANT_COLOURS = {
    "HH": "#d7191c",
    "HL": "#fdae61",
    "LH": "#abd9e9",
    "LL": "#2c7bb6",
    "ns": "#e8e8e8",
}


# ColorBrewer RdBu (6 classes, reversed): blue below LQ 1, red above; one colour per LQ class.
LQ_COLOURS = ("#2166ac", "#67a9cf", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")


NO_DATA_COLOUR = "#bdbdbd"


BASE_FILL = "#f0f0f0"


BASE_STROKE = "#a0a0a0"


PAGE_BACKGROUND = "#ffffff"

"""Correspondences for daily readings: lucky numbers and colours per number.

Data only. Lucky numbers are the number itself with small numbers that share its root;
the colours follow the popular numerology associations (1 red and gold, 2 soft and silvery,
3 yellow, 4 green and earthy, 5 blue, 6 pink and indigo, 7 violet, 8 deep and rich, 9 crimson
and gold). Hex codes are lower-case ``#rrggbb``.
"""

LUCKY_NUMBERS = {
    1: (1, 10, 19, 28, 37),
    2: (2, 11, 20, 29),
    3: (3, 12, 21, 30, 39),
    4: (4, 22, 31, 40),
    5: (5, 14, 23, 32, 41),
    6: (6, 15, 24, 33, 42),
    7: (7, 16, 25, 34, 43),
    8: (8, 17, 26, 35, 44),
    9: (9, 18, 27, 36, 45),
    11: (11, 2, 20, 29),
    22: (22, 4, 31, 40),
    33: (33, 6, 15, 24),
}

LUCKY_COLOURS = {
    1: (
        ("Crimson", "#dc143c"),
        ("Gold", "#ffd700"),
        ("Burnt Orange", "#cc5500"),
        ("Scarlet", "#ff2400"),
    ),
    2: (
        ("Silver", "#c0c0c0"),
        ("Peach", "#ffe5b4"),
        ("Ivory", "#fffff0"),
        ("Mint Green", "#98ff98"),
    ),
    3: (
        ("Canary Yellow", "#ffef00"),
        ("Coral", "#ff7f50"),
        ("Turquoise", "#40e0d0"),
        ("Lavender", "#e6e6fa"),
    ),
    4: (
        ("Emerald Green", "#50c878"),
        ("Forest Green", "#228b22"),
        ("Slate Grey", "#708090"),
        ("Terracotta", "#e2725b"),
    ),
    5: (
        ("Sky Blue", "#87ceeb"),
        ("Azure", "#007fff"),
        ("Aquamarine", "#7fffd4"),
        ("Light Grey", "#d3d3d3"),
    ),
    6: (
        ("Rose Pink", "#ff66cc"),
        ("Indigo", "#4b0082"),
        ("Royal Blue", "#4169e1"),
        ("Blush Pink", "#ffc0cb"),
    ),
    7: (
        ("Violet", "#8f00ff"),
        ("Amethyst", "#9966cc"),
        ("Lilac", "#c8a2c8"),
        ("Sea Green", "#2e8b57"),
    ),
    8: (
        ("Burgundy", "#800020"),
        ("Navy Blue", "#000080"),
        ("Charcoal", "#36454f"),
        ("Old Gold", "#cfb53b"),
    ),
    9: (("Ruby", "#e0115f"), ("Goldenrod", "#daa520"), ("Maroon", "#800000"), ("White", "#ffffff")),
    11: (
        ("Silver", "#c0c0c0"),
        ("Pearl", "#eae0c8"),
        ("Pale Turquoise", "#afeeee"),
        ("Thistle", "#d8bfd8"),
    ),
    22: (("Bronze", "#cd7f32"), ("Teal", "#008080"), ("Cream", "#fffdd0"), ("Russet", "#80461b")),
    33: (
        ("Rose Gold", "#b76e79"),
        ("Sapphire", "#0f52ba"),
        ("Turquoise", "#40e0d0"),
        ("Ivory", "#fffff0"),
    ),
}

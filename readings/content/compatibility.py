"""Compatibility texts by Life Path triad.

Data only. The engine decides the relation from the Life Path roots: the same triad is a
``natural_match``, different triads are a ``different_group``. The texts are framed for
reflection and fun, never as a verdict on a relationship.
"""

TRIADS = {
    (1, 5, 7): {
        "name": "thinkers",
        "line": (
            "Life Path {number} belongs to the 1-5-7 thinkers: independent minds who value "
            "ideas, freedom and room to follow their own curiosity."
        ),
    },
    (2, 4, 8): {
        "name": "builders",
        "line": (
            "Life Path {number} belongs to the 2-4-8 builders and planners: practical, steady "
            "people who value security, structure and results they can see."
        ),
    },
    (3, 6, 9): {
        "name": "creatives",
        "line": (
            "Life Path {number} belongs to the 3-6-9 creatives and feelers: warm, expressive "
            "people guided by imagination, emotion and care for others."
        ),
    },
}

RELATIONS = {
    "natural_match": {
        "title": "A Natural Match",
        "description": (
            "Your Life Paths sit in the same triad, so you tend to see the world in a similar "
            "way and recharge in similar ways. Understanding often comes easily between you; "
            "the gentle risk is sharing the same blind spots, so keep inviting each other to "
            "grow."
        ),
    },
    "different_group": {
        "title": "Different Wavelengths",
        "description": (
            "Your Life Paths come from different triads, so you approach life from different "
            "angles. That can take more patience and clearer conversations, and it is also "
            "where the growth is: each of you brings what the other may lack."
        ),
    },
}

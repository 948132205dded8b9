"""Core number meanings: Life Path, Expression, Soul Urge, Personality, Birthday, Maturity.

Data only. Each number has a shared base (archetype name, keywords, strengths, challenges)
in :data:`NUMBER_BASE`, and every core number type has its own description per number in
:data:`CORE_DESCRIPTIONS` (a Soul Urge 7 speaks of inner desire, a Personality 7 of how
others see you). The copy follows the Hans Decoz tradition and is written for reflection
and entertainment, not as advice.

Soul Urge and Personality also carry an entry for 0: a name with no vowels (or, rarely, no
consonants) under the chosen Y rule adds up to nothing on that side.
"""

CORE_KINDS = ("life_path", "expression", "soul_urge", "personality", "birthday", "maturity")

NUMBER_BASE = {
    0: {
        "name": "The Open Field",
        "keywords": ["potential", "openness", "freedom from pattern", "choice"],
        "strengths": [
            "Freedom to shape this side of yourself without a script",
            "Openness to many ways of being",
            "A flexible, unforced quality",
        ],
        "challenges": [
            "Not knowing quite what you want or how you come across",
            "Borrowing other people's priorities by default",
            "Leaving important choices undecided",
        ],
    },
    1: {
        "name": "The Pioneer",
        "keywords": ["independence", "initiative", "leadership", "courage", "originality"],
        "strengths": [
            "Self-starting drive that turns ideas into action",
            "Courage to go first where others hesitate",
            "Original thinking and a clear sense of direction",
        ],
        "challenges": [
            "Impatience with slower people and processes",
            "Stubbornness or a need to stay in control",
            "Difficulty asking for or accepting help",
        ],
    },
    2: {
        "name": "The Peacemaker",
        "keywords": ["cooperation", "diplomacy", "sensitivity", "partnership", "harmony"],
        "strengths": [
            "A gift for seeing every side of a situation",
            "Tact and patience that calm tense moments",
            "Loyalty and real attentiveness to others",
        ],
        "challenges": [
            "Taking criticism or conflict too much to heart",
            "Putting your own needs last to keep the peace",
            "Hesitating to decide or to speak up",
        ],
    },
    3: {
        "name": "The Communicator",
        "keywords": ["self-expression", "creativity", "joy", "sociability", "imagination"],
        "strengths": [
            "A lively way with words, images and ideas",
            "Optimism that lifts the mood of a room",
            "Imagination that finds playful, original solutions",
        ],
        "challenges": [
            "Scattering energy across too many projects",
            "Hiding real feelings behind a joke",
            "Dropping things once the fun wears off",
        ],
    },
    4: {
        "name": "The Builder",
        "keywords": ["stability", "discipline", "order", "reliability", "hard work"],
        "strengths": [
            "Patience to build something solid step by step",
            "Dependability that others can count on",
            "Practical organisation and an eye for detail",
        ],
        "challenges": [
            "Rigidity when plans need to change",
            "Working so hard that rest and play get lost",
            "Being overly cautious or set in your ways",
        ],
    },
    5: {
        "name": "The Adventurer",
        "keywords": ["freedom", "change", "curiosity", "adaptability", "experience"],
        "strengths": [
            "Quick adaptability when circumstances shift",
            "Curiosity that makes you a natural explorer",
            "Charm and versatility with many kinds of people",
        ],
        "challenges": [
            "Restlessness and difficulty committing",
            "Overindulging in whatever is new and exciting",
            "Leaving before things have time to grow",
        ],
    },
    6: {
        "name": "The Nurturer",
        "keywords": ["responsibility", "love", "care", "home", "harmony"],
        "strengths": [
            "A big heart and a strong sense of duty",
            "A talent for creating warmth, beauty and comfort",
            "Reliability as a friend, partner and helper",
        ],
        "challenges": [
            "Taking on other people's burdens as your own",
            "Perfectionism about yourself and those you love",
            "Offering help or advice that was not asked for",
        ],
    },
    7: {
        "name": "The Seeker",
        "keywords": ["introspection", "analysis", "wisdom", "intuition", "truth"],
        "strengths": [
            "A deep, searching mind that looks beneath the surface",
            "Strong intuition backed by careful thought",
            "Comfort with solitude and independent study",
        ],
        "challenges": [
            "Withdrawing or seeming distant to others",
            "Scepticism that turns into distrust",
            "Overthinking instead of opening up",
        ],
    },
    8: {
        "name": "The Achiever",
        "keywords": ["ambition", "authority", "achievement", "efficiency", "power"],
        "strengths": [
            "Vision for the big picture and the drive to realise it",
            "Natural authority and sound judgement under pressure",
            "Resilience that turns setbacks into comebacks",
        ],
        "challenges": [
            "Measuring your worth only by status or results",
            "Becoming controlling or overly demanding",
            "Letting work crowd out relationships",
        ],
    },
    9: {
        "name": "The Humanitarian",
        "keywords": ["compassion", "generosity", "idealism", "wisdom", "completion"],
        "strengths": [
            "Broad-minded compassion for people of every kind",
            "Generosity with time, talent and understanding",
            "Creative and idealistic vision of a better world",
        ],
        "challenges": [
            "Difficulty letting go of the past",
            "Giving so much that you feel depleted or unappreciated",
            "Frustration when the world falls short of your ideals",
        ],
    },
    11: {
        "name": "The Intuitive",
        "keywords": ["intuition", "inspiration", "sensitivity", "vision", "illumination"],
        "strengths": [
            "Intuition that picks up what others miss",
            "A gift for inspiring people with ideas and ideals",
            "Deep empathy and spiritual awareness",
        ],
        "challenges": [
            "Nervous tension and heightened sensitivity",
            "Self-doubt about your own unusual gifts",
            "Dreaming big but struggling with the practical steps",
        ],
    },
    22: {
        "name": "The Master Builder",
        "keywords": ["vision", "mastery", "large-scale achievement", "practicality", "legacy"],
        "strengths": [
            "The rare ability to turn grand visions into real structures",
            "Practical skill combined with inspired ideas",
            "Discipline and leadership for projects bigger than yourself",
        ],
        "challenges": [
            "Feeling crushed by the weight of your own potential",
            "Driving yourself and others too hard",
            "Retreating into a smaller, safer life out of fear",
        ],
    },
    33: {
        "name": "The Master Teacher",
        "keywords": ["compassion", "healing", "guidance", "selfless love", "teaching"],
        "strengths": [
            "Deep compassion that makes people feel truly seen",
            "A gift for teaching, guiding and uplifting others",
            "Creativity used in service of something larger",
        ],
        "challenges": [
            "Carrying everyone's troubles as your own",
            "Martyrdom or neglecting your own needs",
            "Setting impossibly high standards for yourself",
        ],
    },
}

CORE_DESCRIPTIONS = {
    "life_path": {
        1: (
            "Your path is about learning to stand on your own feet and lead. You are here to "
            "develop independence, self-confidence and the courage to start what others only "
            "talk about, while remembering that leading well means bringing people along."
        ),
        2: (
            "Your path is one of partnership and quiet influence. You are here to master "
            "cooperation, patience and tact, and to discover that your sensitivity is a "
            "strength that brings people and ideas together."
        ),
        3: (
            "Your path is about self-expression and joy. You are here to develop your creative "
            "voice, whether through words, art, humour or simply the way you light up a room, "
            "and to take your talents seriously enough to finish what you start."
        ),
        4: (
            "Your path is about building something that lasts. You are here to learn the value "
            "of order, patience and steady effort, and the satisfaction of foundations laid "
            "with care, while leaving room for flexibility and rest."
        ),
        5: (
            "Your path is about freedom and the wise use of it. You are here to explore, adapt "
            "and learn from a wide range of experiences, finding the balance between chasing "
            "what is new and committing to what truly matters."
        ),
        6: (
            "Your path is about love, responsibility and service. You are here to care for "
            "family, friends and community and to create harmony around you, learning along the "
            "way that caring for yourself is part of the job."
        ),
        7: (
            "Your path is the search for truth and understanding. You are here to study, "
            "question and look inward, trusting both your analytical mind and your intuition, "
            "and to let a few chosen people into your inner world."
        ),
        8: (
            "Your path is about achievement and the balanced use of power. You are here to "
            "develop ambition, good judgement and the ability to organise people and resources, "
            "learning that real success also serves something beyond yourself."
        ),
        9: (
            "Your path is about compassion on a broad scale. You are here to give, teach and "
            "serve with an open heart, and to learn the art of letting go, so that endings make "
            "room for something wiser and kinder."
        ),
        11: (
            "Your path is a master path of intuition and inspiration. You are here to trust the "
            "insights that come to you, to share them in ways that uplift others, and to learn "
            "to steady a sensitive nervous system along the way."
        ),
        22: (
            "Your path is the master path of the builder. You are here to turn large, inspired "
            "visions into practical, lasting results that benefit many people, and to grow into "
            "the confidence that such an ambitious calling asks of you."
        ),
        33: (
            "Your path is the master path of compassionate teaching. You are here to uplift "
            "others through love, guidance and creative service, learning to give generously "
            "without losing yourself in the giving."
        ),
    },
    "expression": {
        1: (
            "Your natural talents point to leadership and innovation. You work best when you "
            "set the direction yourself, and you have a gift for turning a blank page into a "
            "plan and a plan into action."
        ),
        2: (
            "Your natural talents are diplomacy and collaboration. You shine as a mediator, "
            "partner or behind-the-scenes organiser, noticing details and feelings that others "
            "overlook and helping groups work as one."
        ),
        3: (
            "Your natural talents lie in communication and creativity. Writing, speaking, "
            "performing or designing come easily to you, and you express ideas with a warmth "
            "and wit that people remember."
        ),
        4: (
            "Your natural talents are organisation and craftsmanship. You bring structure to "
            "chaos, follow through on commitments and build systems, homes or careers that "
            "hold up over time."
        ),
        5: (
            "Your natural talents are versatility and persuasion. You learn fast, move easily "
            "between people and places, and have a knack for selling an idea or adapting a "
            "plan on the fly."
        ),
        6: (
            "Your natural talents lie in nurturing, teaching and making things beautiful. "
            "People come to you for support and good counsel, and you have a gift for creating "
            "harmony in homes, teams and communities."
        ),
        7: (
            "Your natural talents are analysis, research and insight. You excel where depth "
            "matters more than speed, and your ability to get to the heart of a question makes "
            "you a natural specialist, thinker or investigator."
        ),
        8: (
            "Your natural talents lie in management and achievement. You see how to organise "
            "people and resources toward a goal, and you carry responsibility with a confidence "
            "that others tend to follow."
        ),
        9: (
            "Your natural talents are broad vision and compassion. You are drawn to work that "
            "helps or inspires many people, and you bring creativity and generosity to "
            "whatever you take on."
        ),
        11: (
            "Your natural talents are inspiration and insight. You can sense what a person or "
            "group needs before it is spoken, and you communicate ideals in a way that moves "
            "and motivates others."
        ),
        22: (
            "Your natural talents combine vision with practical mastery. You can plan on a "
            "large scale and carry the details through, giving you the potential to build "
            "organisations, places or works that outlast you."
        ),
        33: (
            "Your natural talents are compassionate guidance and creative service. You teach "
            "by example, heal by listening and bring an uplifting, generous spirit to every "
            "role you take on."
        ),
    },
    "soul_urge": {
        0: (
            "Your name gives no clear number to your heart's desire, which numerologists read "
            "as an open inner field. What you long for is yours to discover and choose, rather "
            "than set by a single pattern."
        ),
        1: (
            "Deep down you long to be your own person and to make your mark. What truly "
            "motivates you is the freedom to act on your own ideas and the quiet pride of "
            "having done something first, in your own way."
        ),
        2: (
            "At heart you long for love, closeness and peace. Your deepest wish is to share "
            "your life with others in harmony and to feel that you truly matter to the people "
            "you care about."
        ),
        3: (
            "Your inner desire is to express yourself and to enjoy life. You long to create, to "
            "share ideas and laughter, and to feel that your inner world is seen and "
            "appreciated by others."
        ),
        4: (
            "Inwardly you long for security, order and a sense of solid ground. You feel most "
            "at peace when life is well organised, promises are kept and your efforts add up "
            "to something dependable."
        ),
        5: (
            "At heart you crave freedom and new experience. What truly drives you is the wish "
            "to explore, to taste life in all its variety and to never feel fenced in."
        ),
        6: (
            "Your deepest desire is to love and be loved, and to care for others. You long for "
            "a warm home, close bonds and the feeling that you make life better for the people "
            "around you."
        ),
        7: (
            "Your inner desire is to understand. You long for time alone to think, read and "
            "reflect, and you are quietly driven to find the deeper truth behind the surface "
            "of things."
        ),
        8: (
            "At heart you long to achieve and to be recognised for it. You are driven by the "
            "wish to succeed, to be in charge of your own destiny and to build something of "
            "real substance."
        ),
        9: (
            "Your deepest wish is to make the world a better place. You are moved by ideals and "
            "by people's struggles, and you long to give something meaningful to the world at "
            "large."
        ),
        11: (
            "Your inner desire is for spiritual meaning and inspiration. You long to connect "
            "with something greater than yourself and to share the insight you find in a way "
            "that lights the way for others."
        ),
        22: (
            "At heart you long to build something great and lasting. Your deepest motivation "
            "is to put your ideals into concrete form, making a real difference on a scale "
            "larger than your own life."
        ),
        33: (
            "Your deepest desire is to heal and uplift through love. You long to ease "
            "suffering and to nurture the growth of others, and you feel most fulfilled when "
            "your care makes someone's life brighter."
        ),
    },
    "personality": {
        0: (
            "Your name gives no single number for the face you show the world, so others may "
            "find you hard to pin down at first. You come across differently with different "
            "people, and you can choose the impression you want to make."
        ),
        1: (
            "Others see you as confident, capable and self-assured, someone who knows where "
            "they are going. Your first impression is strong and direct; letting your warmth "
            "show helps people see past the edge."
        ),
        2: (
            "Others see you as gentle, approachable and easy to talk to. People sense that you "
            "will listen without judging, and your modest, considerate manner puts them at "
            "ease."
        ),
        3: (
            "Others see you as charming, witty and fun to be around. You come across as "
            "expressive and sociable, and people are drawn to your warmth and sense of humour."
        ),
        4: (
            "Others see you as reliable, practical and down to earth. You give the impression "
            "of someone who gets things done and can be trusted with the details."
        ),
        5: (
            "Others see you as lively, magnetic and adventurous. You come across as someone who "
            "is always up for something new, and your energy makes you exciting company."
        ),
        6: (
            "Others see you as warm, caring and trustworthy. People tend to confide in you, and "
            "you come across as someone who makes everyone feel welcome and looked after."
        ),
        7: (
            "Others see you as reserved, thoughtful and a little mysterious. You come across as "
            "intelligent and self-contained, and people sense there is more to you than you "
            "readily show."
        ),
        8: (
            "Others see you as strong, competent and in charge. You project authority and "
            "success, and people often turn to you to take the lead."
        ),
        9: (
            "Others see you as kind, open-minded and generous. You come across as someone with "
            "a broad outlook and a big heart, and people of many backgrounds feel at home with "
            "you."
        ),
        11: (
            "Others see you as inspiring, sensitive and a little out of the ordinary. You can "
            "come across as idealistic or otherworldly, and people often feel uplifted after "
            "time with you."
        ),
        22: (
            "Others see you as capable, steady and impressive. You come across as someone who "
            "can handle big things, and people trust your judgement and your ability to "
            "deliver."
        ),
        33: (
            "Others see you as nurturing, wise and deeply kind. You come across as a natural "
            "counsellor, and people are drawn to the comfort and encouragement you give."
        ),
    },
    "birthday": {
        1: (
            "Your birth day gives you a special gift for initiative. When something needs "
            "starting, you are often the one who steps forward, and you think well on your "
            "feet."
        ),
        2: (
            "Your birth day gives you a gift for sensitivity and cooperation. You notice small "
            "signals in people and situations, and you are at your best working alongside "
            "others."
        ),
        3: (
            "Your birth day gives you a gift for expression. You have a way with words and a "
            "lively imagination, and you can lift a mood with a well-timed story or joke."
        ),
        4: (
            "Your birth day gives you a gift for order and hard work. You can be counted on to "
            "follow through, and you have a talent for making plans practical."
        ),
        5: (
            "Your birth day gives you a gift for adaptability. You handle change with ease, "
            "learn quickly from experience and bring a sense of adventure wherever you go."
        ),
        6: (
            "Your birth day gives you a gift for caring and responsibility. You have an eye "
            "for beauty and harmony, and a talent for making others feel at home."
        ),
        7: (
            "Your birth day gives you a gift for analysis and insight. You think things "
            "through carefully, and your intuition often confirms what your research suggests."
        ),
        8: (
            "Your birth day gives you a gift for organisation and leadership. You have a "
            "practical, business-like streak and the stamina to see ambitious plans through."
        ),
        9: (
            "Your birth day gives you a gift for compassion and broad vision. You relate "
            "easily to all kinds of people and are often drawn to causes larger than yourself."
        ),
        11: (
            "Your birth day carries the master number 11, a gift of intuition and inspiration. "
            "You sense undercurrents others miss, and you can move people with your ideals."
        ),
        22: (
            "Your birth day carries the master number 22, a gift for practical vision. You can "
            "see how a big idea might actually be built, and you have the patience to do it."
        ),
        33: (
            "Your birth day is read with the master number 33, a gift for compassionate "
            "guidance. You encourage and teach others naturally, often simply by example."
        ),
    },
    "maturity": {
        1: (
            "As the years go on, you grow into greater independence and self-direction. Later "
            "life tends to bring a stronger wish to follow your own ideas and the confidence "
            "to finally do so."
        ),
        2: (
            "With maturity comes a deeper appreciation of partnership and peace. Later life "
            "tends to soften ambition into cooperation, and close relationships become your "
            "richest reward."
        ),
        3: (
            "With maturity your creative, expressive side comes forward. Later life tends to "
            "bring more joy, more sociability and a freer voice for the things you have always "
            "wanted to say."
        ),
        4: (
            "With maturity comes a focus on order and lasting foundations. Later life tends to "
            "reward the steady work of earlier years and brings satisfaction in building and "
            "maintaining something solid."
        ),
        5: (
            "With maturity comes a new appetite for freedom and variety. Later life tends to "
            "open doors to travel, learning and change, and you may feel younger in spirit "
            "than ever."
        ),
        6: (
            "With maturity your caring, responsible side comes to the fore. Later life tends to "
            "centre on family, community and home, and on the deep satisfaction of looking "
            "after others."
        ),
        7: (
            "With maturity comes a turn inward toward wisdom and reflection. Later life tends "
            "to bring a love of study, quiet and spiritual questions, and a rich inner life."
        ),
        8: (
            "With maturity comes growing authority and achievement. Later life tends to bring "
            "recognition for your abilities and the chance to steer larger undertakings with a "
            "steady hand."
        ),
        9: (
            "With maturity comes a broad, compassionate outlook. Later life tends to draw you "
            "toward giving back, whether through teaching, service or creative work that "
            "touches many people."
        ),
        11: (
            "With maturity your intuitive and inspirational gifts come into their own. Later "
            "life tends to bring spiritual insight and the chance to guide or inspire others "
            "with what you have learned."
        ),
        22: (
            "With maturity comes the potential to build on a grand scale. Later life tends to "
            "bring the experience and standing to turn long-held visions into lasting, "
            "practical achievements."
        ),
        33: (
            "With maturity comes a calling toward compassionate service. Later life tends to "
            "bring opportunities to teach, heal and nurture, and the wisdom to do so with both "
            "love and boundaries."
        ),
    },
}

# Numbers each core type can take. Soul Urge and Personality may add up to 0 (see above).
CORE_NUMBERS = {kind: tuple(sorted(CORE_DESCRIPTIONS[kind])) for kind in CORE_KINDS}

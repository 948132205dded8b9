"""Meanings for the chart's other numbers: challenges, pinnacles, karmic debts, karmic lessons
and hidden passions.

Data only, in the Decoz tradition, written for reflection and entertainment. Each entry has
a name (used in the title), keywords, a description, strengths and challenges.
"""

CHALLENGES = {
    0: {
        "name": "Choice",
        "keywords": ["choice", "potential", "self-knowledge", "freedom"],
        "description": (
            "A 0 challenge is the challenge of choice: no single obstacle is set, so every one "
            "of them may show up, and none has to. Your task is to know yourself well enough to "
            "choose your direction and commit to it."
        ),
        "strengths": ["Great freedom to shape your own path", "Versatility across many areas"],
        "challenges": ["Indecision when every option seems open", "Drifting without a clear aim"],
    },
    1: {
        "name": "Self-Assertion",
        "keywords": ["independence", "self-worth", "assertiveness", "confidence"],
        "description": (
            "A 1 challenge asks you to stand up for yourself without needing anyone's approval. "
            "It shows up as either holding back or pushing too hard; the middle path is quiet, "
            "steady confidence in your own worth."
        ),
        "strengths": ["Growing inner confidence", "Learning to trust your own judgement"],
        "challenges": ["Dependence on others' approval", "Overcompensating with dominance"],
    },
    2: {
        "name": "Sensitivity",
        "keywords": ["sensitivity", "self-esteem", "emotional balance", "cooperation"],
        "description": (
            "A 2 challenge is about sensitivity. You may feel slights keenly or fear conflict; "
            "the lesson is to keep your compassion while building a thicker skin and trusting "
            "your own value."
        ),
        "strengths": ["Deep empathy for others", "Fine awareness of what people feel"],
        "challenges": ["Being easily hurt or discouraged", "Avoiding conflict at your own cost"],
    },
    3: {
        "name": "Self-Expression",
        "keywords": ["expression", "focus", "self-confidence", "creativity"],
        "description": (
            "A 3 challenge centres on expressing yourself. It can show as shyness and "
            "self-criticism or as scattered, superficial chatter; the lesson is to share your "
            "real feelings and give your creativity a focus."
        ),
        "strengths": ["Creative potential waiting to be used", "A genuine voice worth hearing"],
        "challenges": ["Self-doubt about your talents", "Spreading energy too thin"],
    },
    4: {
        "name": "Discipline and Order",
        "keywords": ["discipline", "order", "patience", "balance"],
        "description": (
            "A 4 challenge is about work and order. You may swing between avoiding structure "
            "and clinging to it; the lesson is steady, patient effort with enough flexibility to "
            "adjust when life changes."
        ),
        "strengths": ["Capacity for persistence", "Practical problem-solving"],
        "challenges": ["Disorganisation or procrastination", "Rigidity and over-control"],
    },
    5: {
        "name": "Freedom and Moderation",
        "keywords": ["freedom", "moderation", "change", "commitment"],
        "description": (
            "A 5 challenge concerns freedom. You may crave change so much that nothing takes "
            "root, or fear it so much that you stay stuck; the lesson is to welcome change "
            "while practising moderation and commitment."
        ),
        "strengths": ["Openness to new experience", "Adaptability once you embrace it"],
        "challenges": ["Restless overindulgence", "Fear of losing your freedom"],
    },
    6: {
        "name": "Ideals and Responsibility",
        "keywords": ["idealism", "responsibility", "acceptance", "love"],
        "description": (
            "A 6 challenge is about ideals and responsibility. High standards for yourself and "
            "those you love can turn into perfectionism or control; the lesson is to accept "
            "people, yourself included, as they are."
        ),
        "strengths": ["A deep capacity to care", "Strong sense of duty"],
        "challenges": ["Perfectionism and judgement", "Taking on everyone's burdens"],
    },
    7: {
        "name": "Trust and Faith",
        "keywords": ["faith", "trust", "openness", "inner life"],
        "description": (
            "A 7 challenge is about trust and faith. You may keep people at a distance or "
            "doubt everything that cannot be proven; the lesson is to open up, share your inner "
            "world and trust that you are not alone."
        ),
        "strengths": ["A thoughtful, questioning mind", "Rich inner life"],
        "challenges": ["Isolation and aloofness", "Cynicism or distrust"],
    },
    8: {
        "name": "Power and Balance",
        "keywords": ["balance", "power", "material world", "values"],
        "description": (
            "An 8 challenge concerns power and the material side of life. You may give "
            "possessions and status too much weight, or too little; the lesson is a balanced "
            "view in which success serves your values rather than replacing them."
        ),
        "strengths": ["Potential for strong leadership", "Drive to achieve"],
        "challenges": ["Overemphasising status", "Avoiding responsibility for practical matters"],
    },
}

PINNACLES = {
    1: {
        "name": "Independence",
        "keywords": ["independence", "initiative", "self-reliance", "leadership"],
        "description": (
            "A 1 pinnacle is a period of standing on your own. It brings opportunities to take "
            "the lead, make your own decisions and develop the confidence to act on them."
        ),
        "strengths": ["Growing self-reliance", "Openings to lead and initiate"],
        "challenges": ["Stubbornness", "Feeling you must do everything alone"],
    },
    2: {
        "name": "Cooperation",
        "keywords": ["cooperation", "partnership", "patience", "sensitivity"],
        "description": (
            "A 2 pinnacle is a period of partnership and patience. Progress comes through "
            "cooperation, relationships and tact rather than force, and your sensitivity "
            "becomes an asset."
        ),
        "strengths": ["Close partnerships", "Diplomacy and teamwork"],
        "challenges": ["Oversensitivity", "Putting yourself last"],
    },
    3: {
        "name": "Creative Expression",
        "keywords": ["creativity", "expression", "sociability", "joy"],
        "description": (
            "A 3 pinnacle is a period of self-expression. It favours creative work, "
            "communication and a lively social life, and brings chances for your talents to be "
            "noticed."
        ),
        "strengths": ["Creative growth", "Rich friendships and social life"],
        "challenges": ["Scattered energy", "Superficial commitments"],
    },
    4: {
        "name": "Foundations",
        "keywords": ["hard work", "discipline", "stability", "building"],
        "description": (
            "A 4 pinnacle is a period of work and building. It asks for discipline and "
            "persistence, and rewards them with solid foundations in career, home and skills."
        ),
        "strengths": ["Lasting practical achievements", "Discipline and reliability"],
        "challenges": ["Feeling limited by duties", "Rigidity"],
    },
    5: {
        "name": "Change and Freedom",
        "keywords": ["change", "freedom", "travel", "variety"],
        "description": (
            "A 5 pinnacle is a period of change and expansion. Moves, travel, new people and "
            "new interests are likely, and the lesson is to use that freedom constructively."
        ),
        "strengths": ["Broadening experience", "Adaptability"],
        "challenges": ["Restlessness", "Lack of focus"],
    },
    6: {
        "name": "Love and Responsibility",
        "keywords": ["family", "responsibility", "love", "community"],
        "description": (
            "A 6 pinnacle is a period centred on home, family and service. It often brings "
            "deeper commitments and the satisfaction of caring for people and community."
        ),
        "strengths": ["Strong family bonds", "Meaningful service to others"],
        "challenges": ["Heavy responsibilities", "Neglecting your own needs"],
    },
    7: {
        "name": "Wisdom",
        "keywords": ["study", "introspection", "wisdom", "spirituality"],
        "description": (
            "A 7 pinnacle is a period of inner growth. It favours study, specialisation and "
            "reflection, and tends to bring a deeper understanding of yourself and of life."
        ),
        "strengths": ["Depth of knowledge", "Spiritual and personal insight"],
        "challenges": ["Isolation", "Impatience with outer progress"],
    },
    8: {
        "name": "Achievement",
        "keywords": ["ambition", "achievement", "authority", "recognition"],
        "description": (
            "An 8 pinnacle is a period of ambition and accomplishment. It brings chances to "
            "take on authority and responsibility, and the lesson of using power with fairness."
        ),
        "strengths": ["Career progress", "Growing authority and recognition"],
        "challenges": ["Overwork", "Materialism or control"],
    },
    9: {
        "name": "Compassion",
        "keywords": ["compassion", "generosity", "completion", "humanitarianism"],
        "description": (
            "A 9 pinnacle is a period of broad vision and giving. It often draws you toward "
            "service, creativity or causes larger than yourself, and teaches the art of letting "
            "go."
        ),
        "strengths": ["Widening compassion", "Creative and humanitarian work"],
        "challenges": ["Difficulty letting go", "Emotional exhaustion"],
    },
    11: {
        "name": "Illumination",
        "keywords": ["intuition", "inspiration", "spiritual growth", "sensitivity"],
        "description": (
            "An 11 pinnacle is a period of heightened intuition and inspiration. It can bring "
            "spiritual insight and the chance to inspire others, along with a need to care for "
            "your sensitive nerves."
        ),
        "strengths": ["Inspired ideas", "Spiritual awareness"],
        "challenges": ["Nervous tension", "Impractical idealism"],
    },
    22: {
        "name": "Mastery",
        "keywords": ["vision", "mastery", "large-scale building", "legacy"],
        "description": (
            "A 22 pinnacle is a period of great practical potential. It offers the chance to "
            "build something significant and lasting, if you can match big vision with patient, "
            "disciplined work."
        ),
        "strengths": ["Capacity for major achievements", "Vision combined with practicality"],
        "challenges": ["Pressure of high expectations", "Overextending yourself"],
    },
    33: {
        "name": "Compassionate Service",
        "keywords": ["healing", "teaching", "selfless love", "guidance"],
        "description": (
            "A 33 pinnacle is a period of compassionate service. It calls you to teach, heal and "
            "uplift others, and to give from a full cup rather than an empty one."
        ),
        "strengths": ["Profound capacity to help others", "Wisdom shared through example"],
        "challenges": ["Self-sacrifice", "Carrying others' burdens"],
    },
}

KARMIC_DEBTS = {
    13: {
        "name": "Hard Work Rewarded",
        "keywords": ["effort", "discipline", "focus", "perseverance"],
        "description": (
            "Karmic debt 13/4 is traditionally read as a lesson in effort. Shortcuts tend not to "
            "work for you, but focused, patient work does, and the results you build that way "
            "are solid and your own."
        ),
        "strengths": ["Capacity for real perseverance", "Achievements that last"],
        "challenges": ["Frustration when effort seems unrewarded", "Temptation to cut corners"],
    },
    14: {
        "name": "Freedom with Moderation",
        "keywords": ["moderation", "adaptability", "self-control", "freedom"],
        "description": (
            "Karmic debt 14/5 is traditionally read as a lesson in using freedom wisely. Life "
            "brings frequent change, and the task is to stay adaptable while practising "
            "moderation and keeping your commitments."
        ),
        "strengths": ["Resilience in the face of change", "Openness to experience"],
        "challenges": ["Overindulgence", "Losing focus amid constant change"],
    },
    16: {
        "name": "Humility and Rebirth",
        "keywords": ["humility", "renewal", "authenticity", "inner growth"],
        "description": (
            "Karmic debt 16/7 is traditionally read as a lesson in humility. Plans built on ego "
            "may topple unexpectedly, and each such fall clears the way for something more "
            "honest, grounded and true to who you are."
        ),
        "strengths": ["Capacity for deep renewal", "Growing spiritual insight"],
        "challenges": ["Pride and self-importance", "Isolation after setbacks"],
    },
    19: {
        "name": "Independence with Help",
        "keywords": ["independence", "humility", "self-reliance", "cooperation"],
        "description": (
            "Karmic debt 19/1 is traditionally read as a lesson in the right use of "
            "independence. You may often have to stand alone, and the lesson is to find your "
            "own strength while learning that accepting help is not weakness."
        ),
        "strengths": ["Strong self-reliance", "Courage to stand up for yourself"],
        "challenges": ["Refusing help", "Self-centredness or stubbornness"],
    },
}

KARMIC_LESSONS = {
    1: {
        "name": "Self-Confidence",
        "keywords": ["initiative", "confidence", "independence", "willpower"],
        "description": (
            "With no 1 in your name, this life asks you to develop initiative and "
            "self-confidence. Practise trusting your own judgement, speaking up and taking the "
            "first step without waiting for others."
        ),
        "strengths": ["Openness to others' leadership", "Room to grow confidence"],
        "challenges": ["Hesitating to take charge", "Relying on others to decide"],
    },
    2: {
        "name": "Patience and Tact",
        "keywords": ["patience", "tact", "cooperation", "sensitivity"],
        "description": (
            "With no 2 in your name, this life asks you to develop patience, tact and "
            "attention to detail. Practise listening closely, cooperating and letting things "
            "unfold in their own time."
        ),
        "strengths": ["Directness", "Independent action"],
        "challenges": ["Impatience", "Overlooking others' feelings"],
    },
    3: {
        "name": "Self-Expression",
        "keywords": ["self-expression", "communication", "joy", "creativity"],
        "description": (
            "With no 3 in your name, this life asks you to develop your self-expression. "
            "Practise sharing your feelings and ideas, and allow yourself to be playful and "
            "creative without judging the result."
        ),
        "strengths": ["Thoughtful reserve", "Seriousness of purpose"],
        "challenges": ["Holding back your voice", "Self-criticism about creativity"],
    },
    4: {
        "name": "Discipline and Order",
        "keywords": ["discipline", "organisation", "method", "persistence"],
        "description": (
            "With no 4 in your name, this life asks you to develop discipline and order. "
            "Practise routines, planning and following through, and build step by step rather "
            "than hoping for shortcuts."
        ),
        "strengths": ["Spontaneity", "Flexible thinking"],
        "challenges": ["Disorganisation", "Unfinished projects"],
    },
    5: {
        "name": "Embracing Change",
        "keywords": ["adaptability", "change", "adventure", "openness"],
        "description": (
            "With no 5 in your name, this life asks you to grow comfortable with change. "
            "Practise trying new things, travelling and meeting new people, and let go of the "
            "fear of the unknown."
        ),
        "strengths": ["Stability", "Loyalty to what you know"],
        "challenges": ["Fear of change", "Staying too long in your comfort zone"],
    },
    6: {
        "name": "Responsibility",
        "keywords": ["responsibility", "commitment", "care", "community"],
        "description": (
            "With no 6 in your name, this life asks you to develop responsibility and "
            "commitment to others. Practise showing up for family, friends and community, "
            "and discover the warmth that comes with it."
        ),
        "strengths": ["Independence", "Freedom from others' expectations"],
        "challenges": ["Avoiding commitments", "Difficulty sharing burdens"],
    },
    7: {
        "name": "Faith and Reflection",
        "keywords": ["faith", "analysis", "introspection", "trust"],
        "description": (
            "With no 7 in your name, this life asks you to develop depth, reflection and "
            "trust. Practise looking beneath the surface, studying what interests you and "
            "trusting your inner voice."
        ),
        "strengths": ["Practicality", "Engagement with the outer world"],
        "challenges": ["Superficial judgements", "Lack of faith in yourself or life"],
    },
    8: {
        "name": "Managing Resources",
        "keywords": ["practicality", "authority", "resource management", "judgement"],
        "description": (
            "With no 8 in your name, this life asks you to grow at ease with authority and "
            "practical affairs. Practise organising resources, handling responsibility and "
            "seeing yourself as capable of leading."
        ),
        "strengths": ["Idealism", "Values beyond material concerns"],
        "challenges": ["Carelessness with practical matters", "Discomfort with authority"],
    },
    9: {
        "name": "Compassion",
        "keywords": ["compassion", "tolerance", "generosity", "broad vision"],
        "description": (
            "With no 9 in your name, this life asks you to develop compassion and a broader "
            "view. Practise tolerance, generosity and seeing the world through other people's "
            "eyes."
        ),
        "strengths": ["Focus on personal goals", "Clear priorities"],
        "challenges": ["Narrow perspective", "Impatience with others' shortcomings"],
    },
}

HIDDEN_PASSIONS = {
    1: {
        "name": "The Drive to Lead",
        "keywords": ["leadership", "independence", "ambition", "originality"],
        "description": (
            "Your hidden passion is to lead and to stand on your own. A strong inner drive "
            "pushes you to be first, to be original and to shape your own life."
        ),
        "strengths": ["Determination", "Initiative"],
        "challenges": ["Impatience", "Reluctance to follow"],
    },
    2: {
        "name": "The Love of Harmony",
        "keywords": ["harmony", "partnership", "diplomacy", "sensitivity"],
        "description": (
            "Your hidden passion is harmony and partnership. You care deeply about getting "
            "along, bringing people together and being part of a close, supportive team."
        ),
        "strengths": ["Tact", "Sensitivity to others"],
        "challenges": ["Oversensitivity", "Dependence on approval"],
    },
    3: {
        "name": "The Joy of Expression",
        "keywords": ["creativity", "expression", "imagination", "sociability"],
        "description": (
            "Your hidden passion is creative expression. Words, art, music or performance "
            "call to you, and you feel most alive when sharing ideas and imagination."
        ),
        "strengths": ["Creative talent", "Charm and wit"],
        "challenges": ["Scattered focus", "Sensitivity to criticism"],
    },
    4: {
        "name": "The Love of Order",
        "keywords": ["order", "structure", "craftsmanship", "reliability"],
        "description": (
            "Your hidden passion is order and craftsmanship. You love building things properly, "
            "making systems work and seeing steady effort turn into something solid."
        ),
        "strengths": ["Diligence", "Reliability"],
        "challenges": ["Rigidity", "Workaholism"],
    },
    5: {
        "name": "The Hunger for Experience",
        "keywords": ["freedom", "adventure", "curiosity", "variety"],
        "description": (
            "Your hidden passion is freedom and experience. You long to travel, explore and "
            "try everything at least once, and routine can feel like a cage."
        ),
        "strengths": ["Adaptability", "Curiosity"],
        "challenges": ["Restlessness", "Overindulgence"],
    },
    6: {
        "name": "The Love of Home",
        "keywords": ["love", "family", "care", "beauty"],
        "description": (
            "Your hidden passion is love, home and family. You are deeply drawn to caring for "
            "others and to creating warmth, comfort and beauty around you."
        ),
        "strengths": ["Devotion", "Nurturing instinct"],
        "challenges": ["Over-responsibility", "Perfectionism"],
    },
    7: {
        "name": "The Quest for Truth",
        "keywords": ["knowledge", "truth", "analysis", "spirituality"],
        "description": (
            "Your hidden passion is knowledge and truth. You are driven to study, question and "
            "understand, and you feel most fulfilled when you uncover something deeper."
        ),
        "strengths": ["Analytical depth", "Intuition"],
        "challenges": ["Aloofness", "Overthinking"],
    },
    8: {
        "name": "The Drive to Achieve",
        "keywords": ["achievement", "authority", "organisation", "ambition"],
        "description": (
            "Your hidden passion is achievement and influence. You are drawn to organise, to "
            "lead large undertakings and to see your efforts recognised."
        ),
        "strengths": ["Executive ability", "Resilience"],
        "challenges": ["Controlling tendencies", "Materialism"],
    },
    9: {
        "name": "The Heart of a Humanitarian",
        "keywords": ["compassion", "idealism", "generosity", "service"],
        "description": (
            "Your hidden passion is to serve humanity. You are moved by ideals and by others' "
            "struggles, and you feel called to give something to the wider world."
        ),
        "strengths": ["Compassion", "Broad vision"],
        "challenges": ["Self-sacrifice", "Disillusionment"],
    },
}

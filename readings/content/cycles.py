"""Personal cycle meanings: Personal Year, Personal Month and Personal Day, numbers 1-9.

Data only. The nine-year cycle of the Decoz tradition: each number keeps its theme (name and
keywords) at every scale, while the description, strengths ("what the period favours") and
challenges ("what to watch for") are written for a year, a month or a single day. Master
numbers are always reduced for personal cycles, so only 1-9 exist here.
"""

CYCLE_KINDS = ("personal_year", "personal_month", "personal_day")

CYCLE_THEMES = {
    1: {
        "name": "New Beginnings",
        "keywords": ["new beginnings", "initiative", "independence", "planting seeds"],
    },
    2: {
        "name": "Patience and Partnership",
        "keywords": ["patience", "cooperation", "relationships", "diplomacy"],
    },
    3: {
        "name": "Expression and Joy",
        "keywords": ["creativity", "self-expression", "social life", "joy"],
    },
    4: {
        "name": "Building Foundations",
        "keywords": ["hard work", "organisation", "discipline", "foundations"],
    },
    5: {
        "name": "Change and Freedom",
        "keywords": ["change", "freedom", "adventure", "flexibility"],
    },
    6: {
        "name": "Home and Responsibility",
        "keywords": ["family", "responsibility", "love", "home"],
    },
    7: {"name": "Reflection", "keywords": ["reflection", "study", "solitude", "inner growth"]},
    8: {"name": "Achievement", "keywords": ["achievement", "ambition", "recognition", "authority"]},
    9: {"name": "Completion", "keywords": ["completion", "release", "compassion", "closure"]},
}

CYCLE_TEXTS = {
    "personal_year": {
        1: {
            "description": (
                "A Personal Year 1 opens a fresh nine-year cycle. It is a year for planting "
                "seeds: starting projects, setting intentions and taking the initiative, because "
                "what you begin now tends to shape the years that follow."
            ),
            "strengths": [
                "Starting new projects and directions",
                "Acting with independence and courage",
                "Setting clear long-term intentions",
            ],
            "challenges": [
                "Waiting for permission instead of acting",
                "Impatience when results are slow to show",
                "Clinging to what the last cycle has finished",
            ],
        },
        2: {
            "description": (
                "A Personal Year 2 slows the pace after last year's launch. It is a year of "
                "patience, partnerships and quiet progress, when seeds grow underground and "
                "cooperation achieves more than force."
            ),
            "strengths": [
                "Deepening relationships and partnerships",
                "Diplomacy, listening and teamwork",
                "Refining details behind the scenes",
            ],
            "challenges": [
                "Frustration with a slower pace",
                "Oversensitivity to other people's moods",
                "Forcing decisions that need more time",
            ],
        },
        3: {
            "description": (
                "A Personal Year 3 brings lightness, creativity and a livelier social life. It "
                "is a year to express yourself, enjoy friendships and let your talents be seen, "
                "while keeping enough focus to finish what you start."
            ),
            "strengths": [
                "Creative projects and self-expression",
                "Socialising and widening your circle",
                "Optimism and a playful approach",
            ],
            "challenges": [
                "Scattering energy across too many things",
                "Overspending time or energy on fun",
                "Dropping projects before they are finished",
            ],
        },
        4: {
            "description": (
                "A Personal Year 4 is a year for rolling up your sleeves. Steady work, "
                "organisation and attention to practical matters lay the groundwork for the "
                "growth of the coming years, even if progress feels slow."
            ),
            "strengths": [
                "Organising your home, work and routines",
                "Building skills and solid foundations",
                "Following through on commitments",
            ],
            "challenges": [
                "Feeling restricted or weighed down by duties",
                "Rigidity when plans need adjusting",
                "Neglecting rest in the push to get things done",
            ],
        },
        5: {
            "description": (
                "A Personal Year 5 brings change, movement and fresh air. After the discipline "
                "of last year, expect the unexpected: travel, new people and new options, with "
                "the lesson of using your freedom wisely."
            ),
            "strengths": [
                "Embracing change and new experiences",
                "Travel, learning and meeting new people",
                "Adapting quickly to fresh opportunities",
            ],
            "challenges": [
                "Restlessness and impulsive decisions",
                "Overindulgence of any kind",
                "Abandoning commitments just for variety",
            ],
        },
        6: {
            "description": (
                "A Personal Year 6 turns the focus toward home, family and responsibility. It "
                "is a year for nurturing relationships, caring for others and creating beauty "
                "and harmony, while not forgetting to care for yourself."
            ),
            "strengths": [
                "Strengthening family and close bonds",
                "Making your home more comfortable and beautiful",
                "Service, teaching and helping others",
            ],
            "challenges": [
                "Taking on more responsibility than you can carry",
                "Perfectionism in yourself and others",
                "Meddling where help was not asked for",
            ],
        },
        7: {
            "description": (
                "A Personal Year 7 is a year for turning inward. It favours study, reflection "
                "and rest over outer achievement, and the understanding you gain now becomes the "
                "foundation for the ambitious year that follows."
            ),
            "strengths": [
                "Study, research and learning in depth",
                "Reflection and getting to know yourself",
                "Time alone to think and recharge",
            ],
            "challenges": [
                "Isolating yourself more than is healthy",
                "Impatience when outer results slow down",
                "Overanalysing instead of trusting your intuition",
            ],
        },
        8: {
            "description": (
                "A Personal Year 8 is a year of achievement and recognition. Efforts from "
                "earlier in the cycle can bear fruit, and it favours ambition, confident "
                "decisions and taking charge of your own affairs."
            ),
            "strengths": [
                "Career goals and visible achievement",
                "Taking charge and making confident decisions",
                "Organising resources toward a big aim",
            ],
            "challenges": [
                "Letting work crowd out everything else",
                "Becoming controlling or overly driven",
                "Judging yourself only by results",
            ],
        },
        9: {
            "description": (
                "A Personal Year 9 closes the nine-year cycle. It is a year for completion, "
                "letting go and generosity: finishing what is unfinished and releasing what no "
                "longer fits, to clear the way for a new beginning."
            ),
            "strengths": [
                "Finishing and tying up loose ends",
                "Letting go with gratitude",
                "Compassion, forgiveness and giving back",
            ],
            "challenges": [
                "Holding on to what has run its course",
                "Starting big new ventures too early",
                "Dwelling on regrets or old hurts",
            ],
        },
    },
    "personal_month": {
        1: {
            "description": (
                "A Personal Month 1 is a fresh start within your year. It is a good month to "
                "begin something, take the initiative and make decisions you have been putting "
                "off."
            ),
            "strengths": [
                "Launching a plan or new habit",
                "Taking the lead",
                "Clear, independent decisions",
            ],
            "challenges": [
                "Hesitation when you could act",
                "Impatience with others",
                "Going it alone when help is available",
            ],
        },
        2: {
            "description": (
                "A Personal Month 2 asks for patience and cooperation. Things may move slowly, "
                "but it is a fine month for teamwork, listening and nurturing relationships."
            ),
            "strengths": [
                "Collaboration and partnership",
                "Careful attention to detail",
                "Tactful conversations",
            ],
            "challenges": [
                "Taking things too personally",
                "Pushing for quick results",
                "Avoiding necessary decisions",
            ],
        },
        3: {
            "description": (
                "A Personal Month 3 brings a lighter, more sociable mood. It is a month to "
                "create, communicate and enjoy the company of friends."
            ),
            "strengths": [
                "Creative work and ideas",
                "Socialising and networking",
                "Expressing your feelings openly",
            ],
            "challenges": [
                "Scattered focus",
                "Careless words",
                "Putting off the less fun tasks",
            ],
        },
        4: {
            "description": (
                "A Personal Month 4 is a month for steady, practical work. Get organised, keep "
                "to routines and deal with the details, and the effort will pay off later."
            ),
            "strengths": [
                "Planning and organising",
                "Dealing with practical matters",
                "Consistent daily effort",
            ],
            "challenges": [
                "Feeling bogged down",
                "Stubbornness",
                "Skipping rest",
            ],
        },
        5: {
            "description": (
                "A Personal Month 5 brings change and movement. Expect the unexpected, stay "
                "flexible and say yes to experiences that broaden your horizons."
            ),
            "strengths": [
                "Adapting to changing plans",
                "Short trips and new experiences",
                "Meeting new people",
            ],
            "challenges": [
                "Impulsiveness",
                "Restlessness",
                "Neglecting existing commitments",
            ],
        },
        6: {
            "description": (
                "A Personal Month 6 centres on home, family and responsibility. It is a good "
                "month to care for loved ones, settle domestic matters and bring more harmony "
                "into your surroundings."
            ),
            "strengths": [
                "Quality time with family and friends",
                "Beautifying your home",
                "Offering support and service",
            ],
            "challenges": [
                "Overcommitting to others' needs",
                "Perfectionism",
                "Unasked-for advice",
            ],
        },
        7: {
            "description": (
                "A Personal Month 7 invites you to slow down and look inward. It is a month for "
                "study, reflection and quiet time rather than pushing hard on outer goals."
            ),
            "strengths": [
                "Learning and research",
                "Reflection and journaling",
                "Rest and time in nature",
            ],
            "challenges": [
                "Withdrawing from people who care",
                "Overthinking",
                "Frustration with slower progress",
            ],
        },
        8: {
            "description": (
                "A Personal Month 8 favours ambition and getting results. It is a good month to "
                "push career goals forward, take charge and make confident decisions."
            ),
            "strengths": [
                "Work goals and visible progress",
                "Leadership and decision-making",
                "Efficient use of time and resources",
            ],
            "challenges": [
                "Overwork",
                "Being too demanding of others",
                "Losing sight of what matters beyond results",
            ],
        },
        9: {
            "description": (
                "A Personal Month 9 is a month for completion. Tie up loose ends, clear out "
                "what you no longer need and make space for what comes next."
            ),
            "strengths": [
                "Finishing projects",
                "Decluttering and letting go",
                "Generosity and forgiveness",
            ],
            "challenges": [
                "Holding on to the past",
                "Starting too much that is new",
                "Emotional overwhelm",
            ],
        },
    },
    "personal_day": {
        1: {
            "description": (
                "Today carries the energy of a fresh start. Take the first step on something "
                "that matters to you, speak up for your ideas and trust your own judgement."
            ),
            "strengths": [
                "Starting something new",
                "Acting decisively",
                "Taking the initiative",
            ],
            "challenges": [
                "Impatience",
                "Overriding others' views",
                "Waiting for permission",
            ],
        },
        2: {
            "description": (
                "Today favours patience and cooperation. Listen closely, work alongside others "
                "and let small gestures of kindness do the heavy lifting."
            ),
            "strengths": [
                "Teamwork",
                "Careful listening",
                "Attention to detail",
            ],
            "challenges": [
                "Taking remarks personally",
                "Indecision",
                "Rushing what needs time",
            ],
        },
        3: {
            "description": (
                "Today is made for self-expression and connection. Share an idea, create "
                "something, reach out to a friend and let yourself enjoy the day."
            ),
            "strengths": [
                "Creative play",
                "Conversation and connection",
                "A light, optimistic mood",
            ],
            "challenges": [
                "Scattered attention",
                "Gossip or careless words",
                "Procrastination",
            ],
        },
        4: {
            "description": (
                "Today rewards focus and steady effort. Tackle the practical tasks on your list, "
                "get organised and build something one step at a time."
            ),
            "strengths": [
                "Getting organised",
                "Practical tasks",
                "Following a plan",
            ],
            "challenges": [
                "Rigidity",
                "Feeling weighed down by chores",
                "Working without a break",
            ],
        },
        5: {
            "description": (
                "Today brings movement and surprises. Stay flexible, try something different and "
                "welcome the unexpected, while keeping one eye on your commitments."
            ),
            "strengths": [
                "Trying something new",
                "Adapting to changes",
                "Curiosity and spontaneity",
            ],
            "challenges": [
                "Impulsive choices",
                "Restlessness",
                "Losing track of obligations",
            ],
        },
        6: {
            "description": (
                "Today centres on care and connection. Make time for family or friends, bring a "
                "little beauty into your surroundings and offer help where it is welcome."
            ),
            "strengths": [
                "Caring for loved ones",
                "Creating a harmonious space",
                "Keeping promises",
            ],
            "challenges": [
                "Overcommitting",
                "Worrying about others",
                "Expecting perfection",
            ],
        },
        7: {
            "description": (
                "Today invites quiet and reflection. Give yourself space to think, read or rest, "
                "and pay attention to the insights that surface when you slow down."
            ),
            "strengths": [
                "Reflection and study",
                "Trusting intuition",
                "Time alone to recharge",
            ],
            "challenges": [
                "Withdrawing too far",
                "Overanalysing",
                "Doubting yourself",
            ],
        },
        8: {
            "description": (
                "Today favours ambition and practical results. Make the decision, take charge of "
                "a task and move your goals forward with confidence."
            ),
            "strengths": [
                "Leadership",
                "Productive work",
                "Confident decisions",
            ],
            "challenges": [
                "Being too controlling",
                "Overwork",
                "Impatience with others",
            ],
        },
        9: {
            "description": (
                "Today is for wrapping up and letting go. Finish what is outstanding, clear some "
                "space and share a little kindness or generosity with someone."
            ),
            "strengths": [
                "Finishing tasks",
                "Forgiveness and letting go",
                "Kindness and generosity",
            ],
            "challenges": [
                "Clinging to what is over",
                "Emotional overwhelm",
                "Starting too many new things",
            ],
        },
    },
}

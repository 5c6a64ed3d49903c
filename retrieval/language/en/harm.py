"""The words incident reports count harm in: a toll of the dead is not a count of the
wounded, and people are counted as people, civilians, victims or by what befell them."""

KILLED = ("killed", "kill", "kills", "dead", "died", "die", "dies", "death", "deaths", "lives", "bodies", "martyrs", "toll", "fatalities")
WOUNDED = ("wounded", "injured", "injuries", "hurt", "injuring", "wounding", "casualties")
PEOPLE = ("people", "persons", "civilians", "individuals", "victims", "others")
CHILDREN = ("children", "child", "kids", "minors", "boys", "girls", "infants", "babies", "pupils", "students", "youngsters")
# What an attack is called: "which group claimed the truck bomb" asks who claimed responsibility.
ATTACKS = ("attack", "attacks", "bomb", "bombs", "bombing", "bombings", "blast", "blasts", "explosion", "explosions",
           "strike", "strikes", "airstrike", "airstrikes", "killing", "killings", "shelling", "assault", "ambush", "raid")
# Words that give a toll: a number said to be the toll counts the dead ("the death toll
# rose to 21"), whatever words stand next to it.
TOLL_WORDS = ("toll", "tally")
# Words that make a toll a running total over days or a whole war ("since Saturday at
# least 68 civilians have been killed", "so far this year"), not one incident's.
CUMULATIVE = ("since", "so far", "in total", "a total of", "over the past", "overall", "in all", "to date", "this year", "since the start")

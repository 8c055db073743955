"""Views of a case for people and machines: the JSON contract and the analyst's HTML report."""

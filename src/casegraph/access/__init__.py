"""Need-to-know: the one scoped read layer every page, API route, report and export reads through.

`scope.py` says which rows of a case a principal may see; `reader.py` turns that into the
WHERE clauses of every query; `redact.py` replaces the out-of-scope parties of an in-scope
record by counted placeholders ("2 members outside your scope").
"""

from casegraph.access.reader import Reader
from casegraph.access.scope import Scope, country_scope, full_scope, no_scope

__all__ = ["Reader", "Scope", "country_scope", "full_scope", "no_scope"]

"""The layering rules of README's "Architecture" section, checked on the source: no import
cycle between the parts of ``app``, models import no screens or workflows, role names and
exam kinds are defined once. Static checks: they read the code, they run no app."""
import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

#: Modules that decide on a record's review state (``.state``): the policy, the state tables and
#: the workflows. Anywhere else a record's state is asked through them.
STATE_DECIDERS = {"app.candidates.policy", "app.candidates.states", "app.review.states",
                  "app.review.workflow", "app.points.workflow", "app.playbooks.rules",
                  "app.transitions",
                  "app.candidates.documents"}  # 证件审核's own transition table

ROLE_NAMES = ("province_admin", "city_admin", "county_admin", "school_staff", "point_staff",
              "school_reviewer", "county_reviewer", "city_reviewer", "exam_clerk", "auditor")
EXAM_KIND_CODES = ("zhongzhao", "gaokao", "adult")
SCREEN = re.compile(r"(^|_)views$|^(workflow|dashboard|menu)$")


def _modules():
    """{dotted module name: parsed source} of every module of the package."""
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return found


MODULES = _modules()


def _package(name):
    path = MODULES[name][0]
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imports(name, tree):
    """Modules of ``app`` that ``name`` imports, at any depth of its code (an import inside a
    function hides a dependency, it does not remove it)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = _package(name).split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            submodules = {f"{base}.{a.name}" for a in node.names} & MODULES.keys()
            found |= submodules or {base}
    return {m for m in found if m in MODULES and m != name}


def _top(name):
    """The part of ``app`` a module belongs to: its package, or the module itself."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def _edges():
    return {(m, i) for m, (_path, tree) in MODULES.items() for i in _imports(m, tree)}


def _cycles(edges):
    """The strongly connected components of more than one node (Tarjan): every cycle, of any
    length, lies inside one."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, found = {}, {}, [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_cycle_between_the_parts_of_app():
    parts = {(_top(a), _top(b)) for a, b in _edges() if _top(a) and _top(b) and _top(a) != _top(b)}
    assert _cycles(parts) == [], "import cycles between parts of app"


def test_the_cycle_finder_finds_long_cycles():
    assert _cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]
    assert _cycles({("a", "b"), ("b", "c")}) == []


def _state_comparisons(tree):
    """Lines comparing an object's ``.state`` in Python (a SQL expression on a mapped class,
    ``Candidate.state == …``, selects rows and is not a decision)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and not any(
                isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Attribute) and side.attr == "state" and not (
                        isinstance(side.value, ast.Name) and side.value.id[:1].isupper()):
                    yield node.lineno


def test_record_states_are_compared_only_by_the_policy_and_the_workflows():
    found = [f"{MODULES[name][0].relative_to(APP.parent)}:{line}"
             for name, (_path, tree) in MODULES.items() if name not in STATE_DECIDERS
             for line in _state_comparisons(tree)]
    assert found == []


def test_templates_compare_no_record_state():
    pattern = re.compile(r"\b(candidate|cand|item|record|proposal|incident|p|c)\.(state|status)\s*"
                         r"(==|!=|in\b|not in\b)")
    found = [f"{path.relative_to(APP.parent)}:{n}"
             for path in (APP / "templates").rglob("*.html")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert found == []


def _is_models_module(tree):
    """A module defining a mapped class (a subclass of FAB's ``Model`` or of a model)."""
    return any(isinstance(n, ast.ClassDef) and any(
        getattr(b, "id", getattr(b, "attr", "")) in ("Model", "User") for b in n.bases)
        for n in tree.body)


def test_models_import_no_screen_or_workflow():
    found = {(m, i) for m, i in _edges()
             if _is_models_module(MODULES[m][1]) and SCREEN.search(i.rpartition(".")[2])}
    assert found == set()


def test_role_names_are_written_only_in_security():
    quoted = re.compile(r"""["'](%s)["']""" % "|".join(ROLE_NAMES))
    found = [f"{path.relative_to(APP.parent)}:{n}" for name, (path, _tree) in MODULES.items()
             if name != "app.security"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if quoted.search(line)]
    assert found == [], "use the role constants of app/security.py"


def _kind_literals(tree):
    """Exam-kind strings used as a definition or a rule: assigned, a dict key, or compared."""
    def is_kind(node):
        return isinstance(node, ast.Constant) and node.value in EXAM_KIND_CODES

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and is_kind(node.value):
            yield node.lineno
        elif isinstance(node, ast.Dict) and any(is_kind(k) for k in node.keys if k):
            yield node.lineno
        elif isinstance(node, ast.Compare) and any(
                is_kind(c) for c in (node.left, *node.comparators)):
            yield node.lineno


def test_exam_kinds_are_defined_only_in_codes():
    found = [f"{MODULES[name][0].relative_to(APP.parent)}:{line}"
             for name, (_path, tree) in MODULES.items() if name != "app.codes"
             for line in _kind_literals(tree)]
    assert found == [], "use app.codes.ZHONGZHAO / GAOKAO / ADULT"

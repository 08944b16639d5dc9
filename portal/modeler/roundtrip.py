"""Keep what bpmn-js drops (流程图往返保真).

bpmn-js reads a diagram into its object model and writes that model back out; whatever it
could not read is not written: an unresolved reference (a multi-instance
``loopDataInputRef`` naming a task variable), content it cannot place ("unparsable
content"), an unknown element in the BPMN namespace, comments. Saving its export as is
would silently change a procedure, so the editor page sends three texts on every save,
check, dry run and deploy:

``source``    what it gave bpmn-js (the deployed version, the draft, or an imported file),
``baseline``  what bpmn-js wrote right after importing it, before any edit,
``edited``    what bpmn-js writes now.

``source`` minus ``baseline`` is exactly what bpmn-js dropped; ``restore_dropped`` puts it
back into ``edited`` wherever its element is still there (an element the supervisor deleted
takes its dropped parts with it). Elements are matched by ``id``, elements without one by
their tag and position among their parent's children of that tag. Parts bpmn-js keeps are
never touched, so an edit (a cleared name, a removed property) is not undone.

``semantic_form`` is what the round-trip tests compare: everything but the drawing
(``bpmndi``), with namespace prefixes, attribute order, the order of children and
whitespace not counted.
"""
import copy

from lxml import etree

from engine.feel import safe_xml

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DI_NAMESPACES = {BPMNDI_NS, "http://www.omg.org/spec/DD/20100524/DI",
                 "http://www.omg.org/spec/DD/20100524/DC"}


def _is_drawing(element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace in DI_NAMESPACES


def _keyed_children(element, known_ids=None) -> list[tuple[tuple, object]]:
    """(key, child) for the children of ``element``: ("id", id) or (tag, n) — the n-th child
    with that tag and no id — comments counted as their own tag. An id not in ``known_ids``
    (one bpmn-js made up for an element the source left without, e.g. a laneSet) counts as
    no id."""
    counts: dict = {}
    keyed = []
    for child in element:
        if isinstance(child.tag, str):
            if _is_drawing(child):
                continue
            ident = child.get("id")
            if ident and (known_ids is None or ident in known_ids):
                keyed.append((("id", ident), child))
                continue
            tag = child.tag
        elif child.tag is etree.Comment:
            tag = "#comment"
        else:
            continue
        index = counts.get(tag, 0)
        counts[tag] = index + 1
        keyed.append(((tag, index), child))
    return keyed


def _by_id(root) -> dict:
    return {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")
            and not _is_drawing(e)}


class _Restorer:
    def __init__(self, source, baseline, edited):
        self.source_ids = set(_by_id(source))
        self.baseline_ids = _by_id(baseline)
        self.edited_ids = _by_id(edited)
        self.restored = 0

    def restore(self, src, base, edit) -> None:
        for name, value in src.attrib.items():
            if name not in base.attrib and name not in edit.attrib:
                edit.set(name, value)
                self.restored += 1
        if (src.text or "").strip() and not (base.text or "").strip() and \
                not (edit.text or "").strip() and not len(base):
            edit.text = src.text
            self.restored += 1
        base_children = dict(_keyed_children(base, self.source_ids))
        edit_children = dict(_keyed_children(edit, self.source_ids))
        src_children = _keyed_children(src)
        for position, (key, child) in enumerate(src_children):
            if key[0] == "id":
                base_child = self.baseline_ids.get(key[1])
                edit_child = self.edited_ids.get(key[1])
            else:
                base_child = base_children.get(key)
                edit_child = edit_children.get(key)
            if base_child is None:
                if edit_child is None:  # dropped by bpmn-js: put it back
                    self._insert(edit, src_children, position, edit_children, child)
                continue
            if edit_child is not None and isinstance(child.tag, str):
                self.restore(child, base_child, edit_child)

    def _insert(self, edit, src_children, position, edit_children, child) -> None:
        """Insert a copy of ``child`` after the counterpart of its nearest earlier sibling
        (else before that of its nearest later one, else at the end)."""
        clone = copy.deepcopy(child)
        clone.tail = None
        for key, _sibling in reversed(src_children[:position]):
            anchor = self._counterpart(key, edit_children)
            if anchor is not None and anchor.getparent() is edit:
                clone.tail = anchor.tail  # the indentation of its new neighbour
                anchor.addnext(clone)
                break
        else:
            for key, _sibling in src_children[position + 1:]:
                anchor = self._counterpart(key, edit_children)
                if anchor is not None and anchor.getparent() is edit:
                    previous = anchor.getprevious()
                    clone.tail = previous.tail if previous is not None else edit.text
                    anchor.addprevious(clone)
                    break
            else:
                if len(edit):
                    clone.tail = edit[-1].tail
                    edit[-1].tail = (edit.text or "")
                edit.append(clone)
        self.restored += 1
        for element in clone.iter():
            if isinstance(element.tag, str) and element.get("id"):
                self.edited_ids.setdefault(element.get("id"), element)

    def _counterpart(self, key, edit_children):
        if key[0] == "id":
            return self.edited_ids.get(key[1])
        return edit_children.get(key)


def restore_dropped(*, source: str, baseline: str, edited: str) -> str:
    """``edited`` with what bpmn-js dropped from ``source`` (``source`` minus ``baseline``)
    put back; ``edited`` unchanged when nothing was dropped. Raises ``etree.XMLSyntaxError``
    (or ``engine.feel.FeelError`` for entities) when a text is not XML."""
    src, base, edit = safe_xml(source), safe_xml(baseline), safe_xml(edited)
    if etree.QName(src).localname != "definitions" or \
            etree.QName(edit).localname != "definitions":
        return edited
    restorer = _Restorer(src, base, edit)
    restorer.restore(src, base, edit)
    # Comments before the root element (a header naming the procedure's legal basis).
    leading = []
    node = src.getprevious()
    while node is not None:
        if node.tag is etree.Comment:
            leading.insert(0, node)
        node = node.getprevious()
    if leading and edit.getprevious() is None:
        for comment in leading:
            clone = copy.deepcopy(comment)
            clone.tail = "\n"
            edit.addprevious(clone)
        restorer.restored += 1
    if not restorer.restored:
        return edited
    return etree.tostring(edit.getroottree(), xml_declaration=True,
                          encoding="UTF-8").decode("utf-8")


def semantic_form(xml: str | bytes):
    """A comparable form of a diagram without its drawing: (tag, sorted attributes, text,
    sorted children) with namespace URIs instead of prefixes; comments left out."""
    root = safe_xml(xml)

    def form(element):
        children = sorted(
            (form(child) for child in element
             if isinstance(child.tag, str) and not _is_drawing(child)), key=repr)
        text = (element.text or "").strip()
        return (element.tag, tuple(sorted(element.attrib.items())), text, tuple(children))

    return form(root)


def semantic_differences(first: str | bytes, second: str | bytes) -> list[str]:
    """What differs between two diagrams outside their drawings, one line per attribute,
    text or element ("- " only in ``first``, "+ " only in ``second``): for test messages."""

    def lines(xml):
        result = []

        def walk(element, path):
            for key, child in _keyed_children(element):
                if not isinstance(child.tag, str):
                    continue
                here = f"{path}/{etree.QName(child).localname}" + (
                    f"#{key[1]}" if key[0] == "id" else f"[{key[1]}]")
                result.append(here)
                for name, value in sorted(child.attrib.items()):
                    result.append(f"{here}@{name}={value}")
                if (child.text or "").strip():
                    result.append(f"{here} text={child.text.strip()}")
                walk(child, here)

        walk(safe_xml(xml), "")
        return result

    a, b = lines(first), lines(second)
    only_a = [f"- {line}" for line in a if line not in set(b)]
    only_b = [f"+ {line}" for line in b if line not in set(a)]
    return only_a + only_b

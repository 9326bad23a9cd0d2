#!/usr/bin/env python3
"""Generates the C# codecs in ../Generated from Kafka's JSON message definitions in ../Definitions.

Run from anywhere:  python3 Platform.Protocol/Messages/Generator/generate.py
The output is committed; rerun after changing a definition or this script and commit both.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFINITIONS = os.path.join(HERE, "..", "Definitions")
GENERATED = os.path.join(HERE, "..", "Generated")
MAX_VERSION = 0x7FFF

# A property may not share its name with a member every message class has (the Key constant); these few are renamed.
RENAMED_PROPERTIES = {("FindCoordinatorRequest", "Key"): "CoordinatorKey"}

PRIMITIVE_CS = {
    "int8": "sbyte", "int16": "short", "int32": "int", "int64": "long", "uint16": "ushort",
    "float64": "double", "bool": "bool", "string": "string", "bytes": "byte[]", "uuid": "Guid",
    "records": "RecordSet",
}
FIXED_SIZE = {"int8": 1, "bool": 1, "int16": 2, "uint16": 2, "int32": 4, "int64": 8, "float64": 8, "uuid": 16}
READ_FIXED = {"int8": "ReadInt8", "bool": "ReadBool", "int16": "ReadInt16", "uint16": "ReadUInt16",
              "int32": "ReadInt32", "int64": "ReadInt64", "float64": "ReadFloat64", "uuid": "ReadUuid"}
WRITE_FIXED = {k: v.replace("Read", "Write") for k, v in READ_FIXED.items()}


def strip_comments(text):
    """Removes // comments outside JSON strings."""
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


class Versions:
    """An inclusive version range; empty when lo > hi."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text):
        text = (text or "none").strip()
        if text == "none":
            return Versions(1, 0)
        if text.endswith("+"):
            return Versions(int(text[:-1]), MAX_VERSION)
        if "-" in text:
            lo, hi = text.split("-")
            return Versions(int(lo), int(hi))
        return Versions(int(text), int(text))

    def empty(self):
        return self.lo > self.hi

    def __and__(self, other):
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))

    def __contains__(self, v):
        return self.lo <= v <= self.hi

    def each(self):
        return range(self.lo, self.hi + 1) if not self.empty() else range(0)


def cond(versions, context, var="version"):
    """A C# condition that is true exactly when `var` is in `versions`, knowing it lies in `context`."""
    r = versions & context
    if r.empty():
        return "false"
    parts = []
    if r.lo > context.lo:
        parts.append(f"{var} >= {r.lo}")
    if r.hi < context.hi:
        parts.append(f"{var} <= {r.hi}")
    return " && ".join(parts) or "true"


def xml(text):
    return " ".join((text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split())


def literal_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Field:
    def __init__(self, spec, message):
        self.spec = spec
        self.name = RENAMED_PROPERTIES.get((message, spec["name"]), spec["name"])
        self.type = spec["type"]
        self.about = spec.get("about", "")
        self.versions = Versions.parse(spec.get("versions"))
        self.nullable = Versions.parse(spec.get("nullableVersions"))
        self.tagged = Versions.parse(spec.get("taggedVersions"))
        self.tag = spec.get("tag")
        self.ignorable = bool(spec.get("ignorable", False))
        self.flexible_override = Versions.parse(spec["flexibleVersions"]) if "flexibleVersions" in spec else None
        self.default = None if spec.get("default") is None else str(spec.get("default")).lower() if isinstance(spec.get("default"), bool) else (None if spec.get("default") is None else str(spec.get("default")))
        self.is_array = self.type.startswith("[]")
        self.element = self.type[2:] if self.is_array else self.type
        self.is_struct = self.element not in PRIMITIVE_CS
        self.struct = None  # resolved Struct for struct-typed fields
        if self.tag is not None:
            if self.tagged.empty():
                raise SystemExit(f"{message}.{self.name}: tag without taggedVersions")
            if self.tagged.hi != MAX_VERSION or self.tagged.lo < self.versions.lo:
                raise SystemExit(f"{message}.{self.name}: taggedVersions must be an open range inside versions")
            self.regular = Versions(self.versions.lo, self.tagged.lo - 1)
        else:
            self.regular = self.versions

    @property
    def may_be_null(self):
        return not self.nullable.empty()

    @property
    def default_is_null(self):
        return self.default == "null"


class Struct:
    def __init__(self, name, about, specs, versions, message):
        self.name = name
        self.class_name = name
        self.about = about
        self.versions = versions
        self.fields = [Field(s, message) for s in specs]
        self.specs = specs


class Message:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            spec = json.loads(strip_comments(f.read()))
        self.spec = spec
        self.name = spec["name"]
        self.kind = spec["type"]  # request, response or header
        self.api_key = spec.get("apiKey")
        self.valid = Versions.parse(spec["validVersions"])
        self.flexible = Versions.parse(spec.get("flexibleVersions"))
        self.file = os.path.basename(path)
        self.structs = []  # nested classes, in declaration order
        self.by_name = {}
        self.common = {c["name"]: c for c in spec.get("commonStructs", [])}
        self.root = Struct(self.name, spec.get("about", ""), spec["fields"], self.valid, self.name)
        self.resolve(self.root)
        self.check_names()

    def resolve(self, struct):
        for field in struct.fields:
            if not field.is_struct:
                continue
            context = field.versions & struct.versions
            if "fields" in field.spec:
                if field.element in self.by_name:
                    raise SystemExit(f"{self.name}: struct {field.element} declared twice")
                nested = Struct(field.element, field.about, field.spec["fields"], context, self.name)
                self.by_name[field.element] = nested
                self.structs.append(nested)
                self.resolve(nested)
            elif field.element in self.by_name:
                nested = self.by_name[field.element]
                nested.versions = Versions(min(nested.versions.lo, context.lo), max(nested.versions.hi, context.hi))
            elif field.element in self.common:
                common = self.common[field.element]
                own = Versions.parse(common.get("versions", "0+")) & self.valid
                nested = Struct(field.element, common.get("about", ""), common["fields"], own, self.name)
                self.by_name[field.element] = nested
                self.structs.append(nested)
                self.resolve(nested)
            else:
                raise SystemExit(f"{self.name}.{field.name}: unknown type {field.type}")
            field.struct = self.by_name[field.element]

    def check_names(self):
        """A nested class may not share its name with a member of the message class, nor a property with its class."""
        reserved = {"Key", "LowestVersion", "HighestVersion", "IsFlexible", "HeaderVersion", "Read", "Write", self.name}
        top = {f.name for f in self.root.fields} | reserved
        for f in self.root.fields:
            if f.name in reserved:
                raise SystemExit(f"{self.name}: field {f.name} clashes with a member every message has; add it to RENAMED_PROPERTIES")
        for s in self.structs:
            if s.name in top:
                s.class_name = s.name + "Data"
        for s in [self.root] + self.structs:
            for f in s.fields:
                if f.name == s.class_name or f.name in ("Read", "Write", "IsAllDefault", "GetType", "Equals", "GetHashCode", "ToString"):
                    raise SystemExit(f"{self.name}: field {s.name}.{f.name} clashes with a member name")

    # ---- sizes, for the count check before allocating
    def min_size(self, struct, version):
        flexible = version in self.flexible
        size = 1 if flexible else 0
        for f in struct.fields:
            if version in f.regular:
                size += self.min_field_size(f, version, flexible)
        return size

    def min_field_size(self, f, version, flexible):
        compact = self.compact_at(f, version, flexible)
        if f.is_array or f.type in ("bytes", "records"):
            return 1 if compact else 4
        if f.type == "string":
            return 1 if compact else 2
        if f.is_struct:
            return 1 if version in f.nullable else self.min_size(f.struct, version)
        return FIXED_SIZE[f.type]

    def element_min_size(self, f, context):
        sizes = []
        for v in (f.versions & context).each():
            flexible = v in self.flexible
            if f.is_struct:
                sizes.append(self.min_size(f.struct, v))
            elif f.element in FIXED_SIZE:
                sizes.append(FIXED_SIZE[f.element])
            else:
                compact = self.compact_at(f, v, flexible)
                sizes.append((1 if compact else 2) if f.element == "string" else (1 if compact else 4))
        return max(1, min(sizes)) if sizes else 1

    def compact_at(self, f, version, flexible):
        if f.flexible_override is not None:
            return version in f.flexible_override
        return flexible

    # ---- C# pieces
    def class_ref(self, struct):
        return f"{self.name}.{struct.class_name}"

    def cs_type(self, f):
        if f.is_struct:
            element = f.struct.class_name
        else:
            element = PRIMITIVE_CS[f.element]
        if f.is_array:
            return f"List<{element}>" + ("?" if f.may_be_null else "")
        if f.type == "records":
            return "RecordSet?"
        if f.type in ("string", "bytes") or f.is_struct:
            return element + ("?" if f.may_be_null else "")
        return element

    def default_literal(self, f):
        """The C# value of the field's default, or None when it is the CLR default."""
        d = f.default
        if f.is_array:
            return None if f.default_is_null else "[]"
        if f.type == "records":
            return None
        if f.is_struct:
            return None if f.default_is_null else "new()"
        if f.type == "string":
            if f.default_is_null:
                return None
            return literal_string(d or "")
        if f.type == "bytes":
            return None if f.default_is_null else "[]"
        if f.type == "uuid":
            return None
        if f.type == "bool":
            return "true" if d == "true" else None
        if d is None:
            return None
        if f.type == "float64":
            value = float(d)
            return None if value == 0 else repr(value) + "d"
        value = int(d, 0)
        if value == 0:
            return None
        return f"{value}L" if f.type == "int64" else str(value)

    def non_default(self, f, expr):
        """A C# condition: `expr`, the field's value, differs from its default (Kafka writes a tagged field then)."""
        if f.is_array:
            return f"{expr} is not null" if f.default_is_null else f"({expr} is null || {expr}.Count != 0)"
        if f.type == "records":
            return f"{expr} is not null"
        if f.is_struct:
            return f"{expr} is not null" if f.default_is_null else f"({expr} is null || !{expr}.IsAllDefault())"
        if f.type == "string":
            return f"{expr} is not null" if f.default_is_null else f"{expr} != {literal_string(f.default or '')}"
        if f.type == "bytes":
            return f"{expr} is not null" if f.default_is_null else f"({expr} is null || {expr}.Length != 0)"
        if f.type == "uuid":
            return f"{expr} != Guid.Empty"
        if f.type == "bool":
            return f"{expr} != {'true' if f.default == 'true' else 'false'}"
        return f"{expr} != {self.default_literal(f) or '0'}"

    def compact_expr(self, f, context):
        if f.flexible_override is not None:
            return cond(f.flexible_override, context)
        return "flexible"


class Emitter:
    def __init__(self):
        self.lines = []
        self.indent = 0

    def __call__(self, line=""):
        self.lines.append(("    " * self.indent + line) if line else "")

    def open(self, line):
        self(line)
        self("{")
        self.indent += 1

    def close(self, text="}"):
        self.indent -= 1
        self(text)


def read_value(m, f, context, reader, element=False):
    """A C# expression reading one value (an array element when `element`) of field f."""
    compact = m.compact_expr(f, context)
    t = f.element
    if f.is_struct:
        call = f"{m.class_ref(f.struct)}.Read(ref {reader}, version)"
        if not element and f.may_be_null:
            return f"({nullable_cond(m, f, context)} && {reader}.ReadInt8() < 0 ? null : {call})" if nullable_cond(m, f, context) != "true" else f"({reader}.ReadInt8() < 0 ? null : {call})"
        return call
    if t in READ_FIXED:
        return f"{reader}.{READ_FIXED[t]}()"
    if t == "records":
        return f"{reader}.ReadRecords({compact})"
    kind = "String" if t == "string" else "Bytes"
    if element:
        return f"{reader}.Read{kind}({compact})"
    n = nullable_cond(m, f, context)
    if n == "true":
        return f"{reader}.ReadNullable{kind}({compact})"
    if n == "false":
        return f"{reader}.Read{kind}({compact})"
    return f"({n} ? {reader}.ReadNullable{kind}({compact}) : {reader}.Read{kind}({compact}))"


def nullable_cond(m, f, context):
    return cond(f.nullable, f.versions & context)


def emit_read_field(m, f, context, e, target, reader, scoped=False):
    if not f.is_array:
        e(f"{target} = {read_value(m, f, context, reader)};")
        return
    compact = m.compact_expr(f, context)
    size = m.element_min_size(f, context)
    element_type = f.struct.class_name if f.is_struct else PRIMITIVE_CS[f.element]
    n = nullable_cond(m, f, context)
    if not scoped:
        e("{")
        e.indent += 1
    if n == "false":
        e(f"var count = {reader}.ReadArrayCount({compact}, {size});")
    else:
        call = f"{reader}.ReadNullableArrayCount({compact}, {size})"
        e(f"var count = {call};" if n == "true" else f"var count = {n} ? {call} : {reader}.ReadArrayCount({compact}, {size});")
        e(f"if (count < 0) {target} = null;")
        e("else")
    if n != "false":
        e("{")
        e.indent += 1
    e(f"var list = new List<{element_type}>(count);")
    e(f"for (var i = 0; i < count; i++) list.Add({read_value(m, f, context, reader, element=True)});")
    e(f"{target} = list;")
    if n != "false":
        e.close()
    if not scoped:
        e.close()


def emit_write_field(m, f, context, e, value, writer, scoped=False):
    compact = m.compact_expr(f, context)
    t = f.element
    n = nullable_cond(m, f, context)
    null_error = f'throw new KafkaProtocolException("{m.name}: {f.name} may not be null in version " + version)'
    if f.is_array:
        if f.may_be_null:
            e(f"if ({value} is null)")
            e("{")
            e.indent += 1
            if n == "true":
                e(f"{writer}.WriteNullArray({compact});")
            else:
                e(f"if ({n}) {writer}.WriteNullArray({compact}); else {null_error};")
            e.close()
            e("else")
            e("{")
            e.indent += 1
            items = value
        else:
            if not scoped:
                e("{")
                e.indent += 1
            e(f'var items = {value} ?? throw new KafkaProtocolException("{m.name}: {f.name} may not be null");')
            items = "items"
        e(f"{writer}.WriteArrayCount({items}.Count, {compact});")
        e(f"for (var i = 0; i < {items}.Count; i++)")
        e.indent += 1
        e(write_element(m, f, f"{items}[i]", writer, compact) + ";")
        e.indent -= 1
        if f.may_be_null or not scoped:
            e.close()
        return
    if f.is_struct:
        if f.may_be_null:
            e(f"if ({value} is null)")
            e("{")
            e.indent += 1
            e(f"if ({n}) {writer}.WriteInt8(-1); else {null_error};" if n != "true" else f"{writer}.WriteInt8(-1);")
            e.close()
            e("else")
            e("{")
            e.indent += 1
            e(f"{writer}.WriteInt8(1);")
            e(f"{value}.Write({writer}, version);")
            e.close()
        else:
            e(f'({value} ?? throw new KafkaProtocolException("{m.name}: {f.name} may not be null")).Write({writer}, version);')
        return
    if t in WRITE_FIXED:
        e(f"{writer}.{WRITE_FIXED[t]}({value});")
        return
    if t == "records":
        if n == "true":
            e(f"{writer}.WriteRecords({value}, {compact});")
        else:
            e(f"if ({value} is null && !({n})) {null_error};")
            e(f"{writer}.WriteRecords({value}, {compact});")
        return
    kind = "String" if t == "string" else "Bytes"
    if n == "true":
        e(f"{writer}.WriteNullable{kind}({value}, {compact});")
    elif n == "false":
        e(f"{writer}.Write{kind}({value}{'!' if f.may_be_null else ''}, {compact});")
    else:
        e(f"if ({n}) {writer}.WriteNullable{kind}({value}, {compact}); else {writer}.Write{kind}({value}!, {compact});")


def write_element(m, f, item, writer, compact):
    t = f.element
    if f.is_struct:
        return f"{item}.Write({writer}, version)"
    if t in WRITE_FIXED:
        return f"{writer}.{WRITE_FIXED[t]}({item})"
    kind = "String" if t == "string" else "Bytes"
    return f"{writer}.Write{kind}({item}, {compact})"


def emit_unsupported_check(m, f, context, e, value, absent):
    """Kafka's rule: a field that a version lacks must hold its default there, unless it is ignorable."""
    if f.ignorable or absent == "false":
        return
    check = f'throw new KafkaProtocolException("{m.name}: {f.name} is not supported in version " + version)'
    guard = m.non_default(f, value)
    if absent == "true":
        e(f"if ({guard}) {check};")
    else:
        e(f"if ({absent} && {guard}) {check};")


def absent_cond(f, context):
    """True when the version, known to be in `context`, is outside the field's versions."""
    inside = cond(f.versions, context)
    if inside == "true":
        return "false"
    if inside == "false":
        return "true"
    return f"!({inside})"


def emit_struct_body(m, s, e, is_root):
    context = s.versions
    flexible_cond = cond(m.flexible, context)
    regular = [f for f in s.fields if not (f.regular & context).empty()]
    tagged = sorted([f for f in s.fields if f.tag is not None and not (f.tagged & context).empty()], key=lambda f: f.tag)
    name = s.class_name

    # properties
    for f in s.fields:
        if f.about:
            e(f"/// <summary>{xml(f.about)}</summary>")
        d = m.default_literal(f)
        init = f" = {d};" if d is not None else ""
        e(f"public {m.cs_type(f)} {f.name} {{ get; set; }}{init}")
        e()

    # Read
    modifier = "public static"
    if is_root:
        e(f"/// <summary>Decodes the message at <paramref name=\"{'headerVersion' if m.kind == 'header' else 'version'}\"/>; the reader stands after it.</summary>")
    parameter = "headerVersion" if is_root and m.kind == "header" else "version"
    e(f"{modifier} {name} Read(ref KafkaReader reader, short {parameter})")
    e("{")
    e.indent += 1
    if parameter != "version":
        e(f"var version = {parameter};")
    if is_root:
        e(f'if (version < LowestVersion || version > HighestVersion) throw new KafkaProtocolException("{m.name} has no version " + version);')
    needs_flexible_var = any(m.compact_expr(f, context) == "flexible" for f in s.fields) or flexible_cond not in ("false",)
    if needs_flexible_var:
        e(f"var flexible = {flexible_cond};")
    e(f"var result = new {name}();")
    for f in regular:
        c = cond(f.regular, context)
        if c == "true":
            emit_read_field(m, f, context, e, f"result.{f.name}", "reader")
        else:
            e(f"if ({c})")
            e("{")
            e.indent += 1
            emit_read_field(m, f, context, e, f"result.{f.name}", "reader", scoped=True)
            e.close()
    if flexible_cond != "false":
        if not tagged:
            e("if (flexible) reader.SkipTaggedFields();")
        else:
            e("if (flexible)")
            e("{")
            e.indent += 1
            e("var taggedCount = reader.ReadTaggedFieldCount();")
            e("for (var t = 0; t < taggedCount; t++)")
            e("{")
            e.indent += 1
            e("var data = reader.ReadTaggedField(out var tag);")
            e("switch (tag)")
            e("{")
            e.indent += 1
            for f in tagged:
                c = cond(f.tagged, context)
                e(f"case {f.tag}:" if c == "true" or c == cond(m.flexible, context) else f"case {f.tag} when {c}:")
                e("{")
                e.indent += 1
                e("var tagged = new KafkaReader(data);")
                emit_read_field(m, f, context, e, f"result.{f.name}", "tagged", scoped=True)
                e("break;")
                e.close()
            e("default:")
            e("    break; // a tag this version does not know: skipped, as KIP-482 requires")
            e.close()
            e.close()
            e.close()
    e("return result;")
    e.close()
    e()

    # Write
    if is_root:
        e(f"/// <summary>Encodes the message at <paramref name=\"{parameter}\"/>; fields the version lacks are not written.</summary>")
    e(f"public void Write(KafkaWriter writer, short {parameter})")
    e("{")
    e.indent += 1
    if parameter != "version":
        e(f"var version = {parameter};")
    if is_root:
        e(f'if (version < LowestVersion || version > HighestVersion) throw new KafkaProtocolException("{m.name} has no version " + version);')
    if needs_flexible_var:
        e(f"var flexible = {flexible_cond};")
    for f in s.fields:
        present = cond(f.regular, context)
        if f.tag is None:
            emit_unsupported_check(m, f, context, e, f.name, absent_cond(f, context))
        if present == "false":
            continue
        if present == "true":
            emit_write_field(m, f, context, e, f.name, "writer")
        else:
            e(f"if ({present})")
            e("{")
            e.indent += 1
            emit_write_field(m, f, context, e, f.name, "writer", scoped=True)
            e.close()
    for f in s.fields:
        if f.tag is not None:
            emit_unsupported_check(m, f, context, e, f.name, absent_cond(f, context) if cond(f.tagged, context) == "false" else "false")
    if flexible_cond != "false":
        if not tagged:
            e("if (flexible) writer.WriteEmptyTaggedFields();")
        else:
            e("if (flexible)")
            e("{")
            e.indent += 1

            def present_tag(f):
                c = cond(f.tagged, context)
                nd = m.non_default(f, f.name)
                if c not in ("true", cond(m.flexible, context)):
                    return f"{c} && {nd}"
                return nd[1:-1] if nd.startswith("(") and nd.endswith(")") else nd

            e("var taggedCount = 0;")
            for f in tagged:
                e(f"if ({present_tag(f)}) taggedCount++;")
            e("writer.WriteUnsignedVarInt((uint)taggedCount);")
            for f in tagged:
                e(f"if ({present_tag(f)})")
                e("{")
                e.indent += 1
                e("var buffer = new ArrayBufferWriter<byte>();")
                e("var tagged = new KafkaWriter(buffer);")
                emit_write_field(m, f, context, e, f.name, "tagged", scoped=True)
                e(f"writer.WriteTaggedField({f.tag}, buffer.WrittenSpan);")
                e.close()
            e.close()
    e.close()

    if is_root:
        return
    # IsAllDefault, for tagged struct fields and Kafka's unsupported-field check
    e()
    e("/// <summary>True when every field holds its default: Kafka then leaves a tagged struct off the wire.</summary>")
    checks = [m.non_default(f, f.name) for f in s.fields]
    if checks:
        e("public bool IsAllDefault() =>")
        e.indent += 1
        for i, c in enumerate(checks):
            e(("!" if i == 0 else "&& !") + (c if c.startswith("(") else f"({c})") + (";" if i == len(checks) - 1 else ""))
        e.indent -= 1
    else:
        e("public bool IsAllDefault() => true;")


def generate_message(m):
    e = Emitter()
    e("// <auto-generated>")
    e(f"// Generated by Platform.Protocol/Messages/Generator/generate.py from Definitions/{m.file}; do not edit.")
    e("// </auto-generated>")
    e("#nullable enable")
    e("using System.Buffers;")
    e("using Platform.Protocol.Wire;")
    e()
    e("namespace Platform.Protocol.Messages;")
    e()
    flexible_text = "never flexible" if m.flexible.empty() else f"flexible (KIP-482) from version {m.flexible.lo}"
    if m.kind == "header":
        e(f"/// <summary>Kafka's {m.name}, versions {m.valid.lo}-{m.valid.hi}, {flexible_text}: it precedes every "
          f"{'request' if m.name.startswith('Request') else 'response'} body, and its version follows from the API key and version.</summary>")
        e(f"public sealed class {m.name}")
    else:
        e(f"/// <summary>Kafka's {m.name} (API key {m.api_key}), versions {m.valid.lo}-{m.valid.hi}, {flexible_text}, "
          f"generated from Kafka's definition so it matches every Kafka client and broker field for field.</summary>")
        e(f"public sealed class {m.name} : IKafkaMessage")
    e("{")
    e.indent += 1
    if m.kind != "header":
        e(f"public const ApiKey Key = ApiKey.{api_name(m)};")
    e(f"public const short LowestVersion = {m.valid.lo};")
    e(f"public const short HighestVersion = {m.valid.hi};")
    e()
    e("/// <summary>Whether <paramref name=\"version\"/> uses compact lengths and tagged fields (KIP-482).</summary>")
    if m.flexible.empty():
        e("public static bool IsFlexible(short version) => false;")
    else:
        e(f"public static bool IsFlexible(short version) => version >= {m.flexible.lo};")
    e()
    if m.kind == "request":
        e("/// <summary>The request header version for <paramref name=\"version\"/>: 2 when flexible, else 1.</summary>")
        e("public static short HeaderVersion(short version) => IsFlexible(version) ? (short)2 : (short)1;")
        e()
    elif m.kind == "response":
        if m.name == "ApiVersionsResponse":
            e("/// <summary>Always 0: a client that does not yet know the broker's versions must be able to read the header.</summary>")
            e("public static short HeaderVersion(short version) => 0;")
        else:
            e("/// <summary>The response header version for <paramref name=\"version\"/>: 1 when flexible, else 0.</summary>")
            e("public static short HeaderVersion(short version) => IsFlexible(version) ? (short)1 : (short)0;")
        e()
    emit_struct_body(m, m.root, e, True)
    for s in m.structs:
        e()
        if s.about:
            e(f"/// <summary>{xml(s.about)}</summary>")
        else:
            e(f"/// <summary>A {s.name} of {m.name}.</summary>")
        e(f"public sealed class {s.class_name}")
        e("{")
        e.indent += 1
        emit_struct_body(m, s, e, False)
        e.close()
    e.close()
    return "\n".join(e.lines) + "\n"


def api_name(m):
    for suffix in ("Request", "Response"):
        if m.name.endswith(suffix):
            return m.name[: -len(suffix)]
    return m.name


def generate_api_key(requests):
    e = Emitter()
    e("// <auto-generated>")
    e("// Generated by Platform.Protocol/Messages/Generator/generate.py; do not edit.")
    e("// </auto-generated>")
    e("namespace Platform.Protocol.Messages;")
    e()
    e("/// <summary>Kafka's API keys, with Kafka's numbers: the first field of every request header.</summary>")
    e("public enum ApiKey : short")
    e("{")
    e.indent += 1
    for m in sorted(requests, key=lambda m: m.api_key):
        e(f"{api_name(m)} = {m.api_key},")
    e.close()
    return "\n".join(e.lines) + "\n"


def generate_table(requests, responses):
    by_key = {m.api_key: m for m in responses}
    e = Emitter()
    e("// <auto-generated>")
    e("// Generated by Platform.Protocol/Messages/Generator/generate.py; do not edit.")
    e("// </auto-generated>")
    e("#nullable enable")
    e("using Platform.Protocol.Wire;")
    e()
    e("namespace Platform.Protocol.Messages;")
    e()
    e("/// <summary>")
    e("/// Every API the codecs know, with its version range: what a broker advertises in its ApiVersions response,")
    e("/// and the dispatch from an API key to the right header version and body codec without reflection.")
    e("/// </summary>")
    e("public static class ApiVersionsTable")
    e("{")
    e.indent += 1
    e("/// <summary>Every generated API in key order.</summary>")
    e("public static IReadOnlyList<ApiVersionRange> All { get; } =")
    e("[")
    e.indent += 1
    ordered = sorted(requests, key=lambda m: m.api_key)
    for m in ordered:
        e(f"new(ApiKey.{api_name(m)}, {m.name}.LowestVersion, {m.name}.HighestVersion),")
    e.close("];")
    e()

    def switch(signature, doc, arm, default):
        e(f"/// <summary>{doc}</summary>")
        e(signature + " => key switch")
        e("{")
        e.indent += 1
        for m in ordered:
            e(f"ApiKey.{api_name(m)} => {arm(m)},")
        e(f"_ => {default},")
        e.close("};")
        e()

    e("/// <summary>The version range of <paramref name=\"key\"/>, when the codecs know the API.</summary>")
    e("public static bool TryGetRange(ApiKey key, out ApiVersionRange range)")
    e("{")
    e.indent += 1
    e("var index = IndexOf(key);")
    e("range = index < 0 ? default : All[index];")
    e("return index >= 0;")
    e.close()
    e()
    e("/// <summary>Whether the codecs can read and write <paramref name=\"key\"/> at <paramref name=\"version\"/>.</summary>")
    e("public static bool IsSupported(ApiKey key, short version) =>")
    e("    TryGetRange(key, out var range) && version >= range.MinVersion && version <= range.MaxVersion;")
    e()
    switch("private static int IndexOf(ApiKey key)", "The position of the key in All, or -1.",
           lambda m: str(ordered.index(m)), "-1")
    unknown = 'throw new KafkaProtocolException("Unknown API key " + (short)key)'
    switch("public static short RequestHeaderVersion(ApiKey key, short version)",
           "The request header version that precedes a request of this API and version.",
           lambda m: f"{m.name}.HeaderVersion(version)", unknown)
    switch("public static short ResponseHeaderVersion(ApiKey key, short version)",
           "The response header version that precedes a response of this API and version.",
           lambda m: f"{by_key[m.api_key].name}.HeaderVersion(version)", unknown)
    switch("public static IKafkaMessage ReadRequest(ApiKey key, ref KafkaReader reader, short version)",
           "Decodes a request body of this API and version.",
           lambda m: f"{m.name}.Read(ref reader, version)", unknown)
    switch("public static IKafkaMessage ReadResponse(ApiKey key, ref KafkaReader reader, short version)",
           "Decodes a response body of this API and version.",
           lambda m: f"{by_key[m.api_key].name}.Read(ref reader, version)", unknown)
    e.lines.pop()
    e.close()
    return "\n".join(e.lines) + "\n"


def main():
    messages = [Message(os.path.join(DEFINITIONS, f)) for f in sorted(os.listdir(DEFINITIONS)) if f.endswith(".json")]
    os.makedirs(GENERATED, exist_ok=True)
    for old in os.listdir(GENERATED):
        if old.endswith(".g.cs"):
            os.remove(os.path.join(GENERATED, old))
    for m in messages:
        with open(os.path.join(GENERATED, m.name + ".g.cs"), "w", encoding="utf-8", newline="\n") as f:
            f.write(generate_message(m))
    requests = [m for m in messages if m.kind == "request"]
    responses = [m for m in messages if m.kind == "response"]
    missing = {m.api_key for m in requests} ^ {m.api_key for m in responses}
    if missing:
        raise SystemExit(f"API keys without both a request and a response: {sorted(missing)}")
    with open(os.path.join(GENERATED, "ApiKey.g.cs"), "w", encoding="utf-8", newline="\n") as f:
        f.write(generate_api_key(requests))
    with open(os.path.join(GENERATED, "ApiVersionsTable.g.cs"), "w", encoding="utf-8", newline="\n") as f:
        f.write(generate_table(requests, responses))
    print(f"Generated {len(messages)} messages into {os.path.normpath(GENERATED)}", file=sys.stderr)


if __name__ == "__main__":
    main()

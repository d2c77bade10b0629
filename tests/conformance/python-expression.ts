/**
 * The subset of Python expressions that feedparser's test cases write in
 * their `Expect:` lines, and that test_date_parsers.py writes its vectors in:
 * string, number, None/True/False, tuple, list and dict literals; `and`,
 * `or`, `not`, `==` (chained), `!=`, `in`, `not in`, `is`, `+`; subscripts,
 * attributes, and calls of `len`, `ord`, `.get` and `.has_key`. Anything else
 * is an Unsupported error, so a case outside the subset is never guessed at.
 */

export class Unsupported extends Error {}

/** A value that is not a plain literal: what the runner exposes as `entries[0]` and the like. */
export interface HostObject {
  item(key: Value): Value;
  attribute(name: string): Value;
  has(key: Value): boolean;
  /** Python's `==` against a plain value. */
  equals?(other: Value): boolean;
  /** The plain value, for len(), ord(), `in` and `+`. */
  plain?(): Value;
  length?(): number;
}

export type Value = string | number | boolean | null | Tuple | Value[] | Dict | HostObject;
export class Tuple {
  constructor(readonly items: Value[]) {}
}
export class Dict {
  constructor(readonly entries: Map<string, Value>) {}
}

export type Node =
  | { kind: "literal"; value: Value }
  | { kind: "name"; name: string }
  | { kind: "tuple" | "list"; items: Node[] }
  | { kind: "dict"; entries: [Node, Node][] }
  | { kind: "subscript"; target: Node; index: Node }
  | { kind: "attribute"; target: Node; name: string }
  | { kind: "call"; callee: Node; args: Node[] }
  | { kind: "not"; operand: Node }
  | { kind: "and" | "or"; operands: Node[] }
  | { kind: "compare"; first: Node; rest: [string, Node][] }
  | { kind: "add"; left: Node; right: Node };

type Token = { type: "str" | "num" | "name" | "op"; text: string; value?: Value };

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    const prefix = /^([uUrRbB]?)(?='|")/.exec(source.slice(i, i + 2));
    if (prefix) {
      if (/[bB]/.test(prefix[1]!)) throw new Unsupported("bytes literal");
      const raw = /[rR]/.test(prefix[1]!);
      i += prefix[1]!.length;
      const quote = source.startsWith(source[i]!.repeat(3), i) ? source[i]!.repeat(3) : source[i]!;
      i += quote.length;
      let text = "";
      while (!source.startsWith(quote, i)) {
        if (i >= source.length) throw new Unsupported("unterminated string");
        const ch = source[i]!;
        if (ch === "\\" && !raw) {
          const next = source[i + 1]!;
          const hex = next === "x" ? 2 : next === "u" ? 4 : next === "U" ? 8 : 0;
          if (hex) {
            text += String.fromCodePoint(parseInt(source.slice(i + 2, i + 2 + hex), 16));
            i += 2 + hex;
          } else if (next === "\n") {
            i += 2;
          } else {
            text += ESCAPES[next] ?? `\\${next}`;
            i += 2;
          }
        } else {
          text += ch;
          i++;
        }
      }
      i += quote.length;
      tokens.push({ type: "str", text, value: text });
      continue;
    }
    const num = /^\d+(\.\d+)?/.exec(source.slice(i));
    if (num) {
      tokens.push({ type: "num", text: num[0], value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(source.slice(i));
    if (name) {
      tokens.push({ type: "name", text: name[0] });
      i += name[0].length;
      continue;
    }
    const op = /^(==|!=|[()[\]{},:.+])/.exec(source.slice(i));
    if (!op) throw new Unsupported(`operator '${source.slice(i, i + 2)}'`);
    tokens.push({ type: "op", text: op[0] });
    i += op[0].length;
  }
  return tokens;
}

/** Parses one expression; throws Unsupported for syntax outside the subset. */
export function parse(source: string): Node {
  const tokens = tokenize(source);
  let at = 0;
  const peek = (text: string, offset = 0) => tokens[at + offset]?.text === text && tokens[at + offset]?.type !== "str";
  const take = (text: string) => {
    if (!peek(text)) throw new Unsupported(`expected '${text}' at '${tokens[at]?.text ?? "end"}'`);
    at++;
  };

  function or(): Node {
    const operands = [and()];
    while (peek("or")) {
      at++;
      operands.push(and());
    }
    return operands.length === 1 ? operands[0]! : { kind: "or", operands };
  }
  function and(): Node {
    const operands = [not()];
    while (peek("and")) {
      at++;
      operands.push(not());
    }
    return operands.length === 1 ? operands[0]! : { kind: "and", operands };
  }
  function not(): Node {
    if (peek("not")) {
      at++;
      return { kind: "not", operand: not() };
    }
    return compare();
  }
  function compare(): Node {
    const first = add();
    const rest: [string, Node][] = [];
    for (;;) {
      if (peek("==") || peek("!=") || peek("in")) rest.push([tokens[at++]!.text, add()]);
      else if (peek("not") && peek("in", 1)) {
        at += 2;
        rest.push(["not in", add()]);
      } else if (peek("is")) {
        at++;
        if (peek("not")) {
          at++;
          rest.push(["is not", add()]);
        } else rest.push(["is", add()]);
      } else break;
    }
    return rest.length ? { kind: "compare", first, rest } : first;
  }
  function add(): Node {
    let left = postfix();
    while (peek("+")) {
      at++;
      left = { kind: "add", left, right: postfix() };
    }
    return left;
  }
  function postfix(): Node {
    let node = atom();
    for (;;) {
      if (peek("[")) {
        at++;
        const index = or();
        take("]");
        node = { kind: "subscript", target: node, index };
      } else if (peek(".")) {
        at++;
        const name = tokens[at++];
        if (name?.type !== "name") throw new Unsupported("attribute name expected");
        node = { kind: "attribute", target: node, name: name.text };
      } else if (peek("(")) {
        at++;
        node = { kind: "call", callee: node, args: sequence(")") };
      } else return node;
    }
  }
  function sequence(close: string): Node[] {
    const items: Node[] = [];
    while (!peek(close)) {
      items.push(or());
      if (!peek(close)) take(",");
    }
    take(close);
    return items;
  }
  function atom(): Node {
    const token = tokens[at++];
    if (!token) throw new Unsupported("unexpected end");
    if (token.type === "str") {
      let value = token.value as string;
      // adjacent literals concatenate, as in Python
      while (tokens[at]?.type === "str") value += tokens[at++]!.value as string;
      return { kind: "literal", value };
    }
    if (token.type === "num") return { kind: "literal", value: token.value! };
    if (token.type === "name") {
      if (token.text === "None") return { kind: "literal", value: null };
      if (token.text === "True" || token.text === "False") return { kind: "literal", value: token.text === "True" };
      if (["lambda", "for", "if", "else", "is", "in", "and", "or", "not"].includes(token.text)) throw new Unsupported(`'${token.text}'`);
      return { kind: "name", name: token.text };
    }
    if (token.text === "(") {
      const first = peek(")") ? null : or();
      if (first && peek(")")) {
        at++;
        return first;
      }
      const items = first ? [first] : [];
      if (first) take(",");
      return { kind: "tuple", items: [...items, ...sequence(")")] };
    }
    if (token.text === "[") return { kind: "list", items: sequence("]") };
    if (token.text === "{") {
      const entries: [Node, Node][] = [];
      while (!peek("}")) {
        const key = or();
        take(":");
        entries.push([key, or()]);
        if (!peek("}")) take(",");
      }
      take("}");
      return { kind: "dict", entries };
    }
    throw new Unsupported(`unexpected '${token.text}'`);
  }

  const node = or();
  if (at < tokens.length) throw new Unsupported(`unexpected '${tokens[at]!.text}'`);
  return node;
}

/** Thrown for what Python would raise: a missing key, an index out of range. */
export class PythonError extends Error {}

export interface Scope {
  name(name: string): Value;
}

export function evaluate(node: Node, scope: Scope): Value {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "name":
      return scope.name(node.name);
    case "tuple":
      return new Tuple(node.items.map((n) => evaluate(n, scope)));
    case "list":
      return node.items.map((n) => evaluate(n, scope));
    case "dict":
      return new Dict(new Map(node.entries.map(([k, v]) => [String(evaluate(k, scope)), evaluate(v, scope)])));
    case "not":
      return !truthy(evaluate(node.operand, scope));
    case "and": {
      let last: Value = true;
      for (const operand of node.operands) if (!truthy((last = evaluate(operand, scope)))) return last;
      return last;
    }
    case "or": {
      let last: Value = false;
      for (const operand of node.operands) if (truthy((last = evaluate(operand, scope)))) return last;
      return last;
    }
    case "add": {
      const left = unwrap(evaluate(node.left, scope));
      const right = unwrap(evaluate(node.right, scope));
      if (typeof left === "string" && typeof right === "string") return left + right;
      if (typeof left === "number" && typeof right === "number") return left + right;
      throw new Unsupported("'+' of other than two strings or numbers");
    }
    case "compare": {
      let left = evaluate(node.first, scope);
      for (const [op, rightNode] of node.rest) {
        const right = evaluate(rightNode, scope);
        if (!compare(op, left, right)) return false;
        left = right;
      }
      return true;
    }
    case "subscript":
      return item(evaluate(node.target, scope), evaluate(node.index, scope));
    case "attribute": {
      const target = evaluate(node.target, scope);
      if (isHost(target)) return target.attribute(node.name);
      throw new Unsupported(`attribute '${node.name}' of a plain value`);
    }
    case "call":
      return call(node, scope);
  }
}

function call(node: Extract<Node, { kind: "call" }>, scope: Scope): Value {
  const args = node.args.map((a) => unwrap(evaluate(a, scope)));
  if (node.callee.kind === "name" && node.callee.name === "len") {
    const [v] = args;
    if (isHost(v ?? null) && (v as HostObject).length) return (v as HostObject).length!();
    if (typeof v === "string" || Array.isArray(v)) return v.length;
    if (v instanceof Tuple) return v.items.length;
    throw new Unsupported("len() of an object");
  }
  if (node.callee.kind === "name" && node.callee.name === "ord") {
    const [v] = args;
    if (typeof v === "string" && [...v].length === 1) return v.codePointAt(0)!;
    throw new PythonError(`ord() expected a character, got ${repr(v ?? null)}`);
  }
  if (node.callee.kind === "attribute" && (node.callee.name === "get" || node.callee.name === "has_key")) {
    const target = evaluate(node.callee.target, scope);
    const key = args[0] ?? null;
    const has = isHost(target) ? target.has(key) : target instanceof Dict ? target.entries.has(String(key)) : false;
    if (node.callee.name === "has_key") return has;
    return has ? item(target, key) : (args[1] ?? null);
  }
  throw new Unsupported("call of other than len, ord, .get, .has_key");
}

function item(target: Value, key: Value): Value {
  if (isHost(target)) return target.item(key);
  if (target instanceof Dict) {
    if (!target.entries.has(String(key))) throw new PythonError(`KeyError: ${repr(key)}`);
    return target.entries.get(String(key))!;
  }
  const list = Array.isArray(target) ? target : target instanceof Tuple ? target.items : typeof target === "string" ? [...target] : null;
  if (list && typeof key === "number") {
    const value = list[key < 0 ? list.length + key : key];
    if (value === undefined) throw new PythonError(`IndexError: index ${key} of ${list.length}`);
    return value;
  }
  throw new Unsupported("subscript of this value");
}

function compare(op: string, left: Value, right: Value): boolean {
  switch (op) {
    case "==":
      return equal(left, right);
    case "!=":
      return !equal(left, right);
    case "is":
      return left === right && (left === null || typeof left === "boolean");
    case "is not":
      return !(left === right && (left === null || typeof left === "boolean"));
    case "in":
      return contains(right, left);
    case "not in":
      return !contains(right, left);
  }
  throw new Unsupported(op);
}

function contains(container: Value, value: Value): boolean {
  container = unwrap(container);
  if (typeof container === "string" && typeof value === "string") return container.includes(value);
  if (isHost(container)) return container.has(value);
  if (container instanceof Dict) return container.entries.has(String(value));
  const list = Array.isArray(container) ? container : container instanceof Tuple ? container.items : null;
  if (list) return list.some((v) => equal(v, value));
  throw new Unsupported("'in' over this value");
}

export function equal(a: Value, b: Value): boolean {
  // two of feedwerk's values (`entries[0]['link'] == entries[1]['link']`) compare as they are
  if (isHost(a) && isHost(b) && a.plain && b.plain) return equal(a.plain(), b.plain());
  if (isHost(a)) {
    if (a.equals) return a.equals(b);
    throw new Unsupported("'==' of an object");
  }
  if (isHost(b)) return equal(b, a);
  if (a instanceof Tuple && b instanceof Tuple) return a.items.length === b.items.length && a.items.every((v, i) => equal(v, b.items[i]!));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]!));
  if (a instanceof Dict && b instanceof Dict) {
    return a.entries.size === b.entries.size && [...a.entries].every(([k, v]) => b.entries.has(k) && equal(v, b.entries.get(k)!));
  }
  return a === b;
}

export function truthy(v: Value): boolean {
  if (v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Tuple) return v.items.length > 0;
  if (v instanceof Dict) return v.entries.size > 0;
  return true;
}

function unwrap(v: Value): Value {
  return isHost(v) && v.plain ? v.plain() : v;
}

function isHost(v: Value): v is HostObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tuple) && !(v instanceof Dict);
}

export function repr(v: Value): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return String(v);
  if (v instanceof Tuple) return `(${v.items.map(repr).join(", ")})`;
  if (Array.isArray(v)) return `[${v.map(repr).join(", ")}]`;
  if (v instanceof Dict) return `{${[...v.entries].map(([k, x]) => `${JSON.stringify(k)}: ${repr(x)}`).join(", ")}}`;
  return String(v);
}

/** The node as Python source, for messages. */
export function show(node: Node): string {
  switch (node.kind) {
    case "literal":
      return repr(node.value);
    case "name":
      return node.name;
    case "tuple":
      return `(${node.items.map(show).join(", ")}${node.items.length === 1 ? "," : ""})`;
    case "list":
      return `[${node.items.map(show).join(", ")}]`;
    case "dict":
      return `{${node.entries.map(([k, v]) => `${show(k)}: ${show(v)}`).join(", ")}}`;
    case "subscript":
      return `${show(node.target)}[${show(node.index)}]`;
    case "attribute":
      return `${show(node.target)}.${node.name}`;
    case "call":
      return `${show(node.callee)}(${node.args.map(show).join(", ")})`;
    case "not":
      return `not ${show(node.operand)}`;
    case "and":
    case "or":
      return node.operands.map(show).join(` ${node.kind} `);
    case "compare":
      return [show(node.first), ...node.rest.map(([op, n]) => `${op} ${show(n)}`)].join(" ");
    case "add":
      return `${show(node.left)} + ${show(node.right)}`;
  }
}

#!/usr/bin/env python3
"""check_docs.py — check the documentation against the program (tests/cli/test_docs.sh).

1. Every `llm-efficiency CMD [SUB] ... --flag` shown in docs/*.md and README.md
   (fenced sh/bash/console/text blocks and inline code; `$B` and
   build/llm-efficiency count as the program) names a command that exists and
   flags that appear in that command's --help output (or the global --help).
2. Every complete config example validates with `config validate`: the files
   given with --configs, ```yaml blocks whose first key is a top-level
   `version:` line, and `cat > F.yaml <<'TAG'` here-documents in sh blocks.
Prints one line per problem (FILE:LINE: ...) and exits 1 when there was any.
Usage: check_docs.py BIN TMPDIR DOC... [--configs FILE...]"""
import re
import subprocess
import sys

BIN, TMP = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
configs = []
if "--configs" in args:
    i = args.index("--configs")
    args, configs = args[:i], args[i + 1:]
docs = args
help_cache = {}


def helptext(*words):
    if words not in help_cache:
        p = subprocess.run([BIN, *words, "--help"], capture_output=True, text=True)
        help_cache[words] = p.stdout + p.stderr
    return help_cache[words]


def listed(text):
    """Names in a 'commands:'/'subcommands:' block, and alternatives in usage lines."""
    names, on = set(), False
    for line in text.splitlines():
        if re.match(r"^(sub)?commands:", line):
            on = True
            continue
        if on and line and not line.startswith(" "):
            on = False
        m = re.match(r"^  ([a-z][a-z-]*)", line)
        if on and m:
            names.add(m.group(1))
        for alt in re.findall(r"llm-efficiency \w+ ([a-z|-]+)", line):
            names.update(a for a in alt.split("|") if a)
    return names


TOP = listed(helptext()) | {"doctor"}
GLOBAL_FLAGS = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", helptext()))
problems = []
checked = [0, 0]  # commands, config examples


def flags_in(text):
    return set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", text))


def check_command(where, words):
    """words: tokens after the program name on one shell line."""
    cmd = [w for w in words if not w.startswith("-")][:1]
    if not cmd:
        bad = [w.split("=")[0] for w in words if w.startswith("-") and w.split("=")[0] not in GLOBAL_FLAGS]
        for f in bad:
            problems.append(f"{where}: llm-efficiency {f}: no such global option")
        return
    c = cmd[0]
    if c not in TOP:
        if re.fullmatch(r"[a-z][a-z-]*", c):
            problems.append(f"{where}: llm-efficiency {c}: no such command")
        return
    ci = words.index(c)
    rest = words[ci + 1:]
    subs = listed(helptext(c)) - {c}
    path = [c]
    if subs and rest and rest[0] in subs:
        path.append(rest[0])
        rest = rest[1:]
    elif subs and rest and re.fullmatch(r"[a-z][a-z-]+", rest[0]) and not rest[0].endswith((".yaml", ".json")):
        problems.append(f"{where}: llm-efficiency {c} {rest[0]}: no such subcommand")
        return
    hpath = list(path)
    for i, w in enumerate(rest[:-1]):  # `run single --engine openai` has its own --help
        if w == "--engine":
            hpath += ["--engine", rest[i + 1]]
        elif w.startswith("--engine="):
            hpath.append(w)
    checked[0] += 1
    known = flags_in(helptext(*hpath)) | flags_in(helptext(c)) | GLOBAL_FLAGS
    for w in words[:ci] + rest:
        if w == "--":
            break  # what follows belongs to the measured command
        if w.startswith("-") and len(w) > 1 and not re.fullmatch(r"-?[\d.]+", w):
            f = w.split("=")[0]
            if re.fullmatch(r"--[a-zA-Z][\w-]*|-[a-zA-Z]", f) and f not in known:
                problems.append(f"{where}: llm-efficiency {' '.join(path)} {f}: not in --help")


PROG = re.compile(r"(?:^|[\s`(])(?:\$B|\$\{B\}|\S*/llm-efficiency|llm-efficiency)\s+(.*)")


def scan_line(where, line):
    for m in PROG.finditer(line):
        tail = re.split(r"\s(?:\||;|&&|\|\||#|>|<|2>)\s|`", m.group(1))[0]
        words = [w.strip("'\"[](),") for w in tail.split()]
        words = [w for w in words if w]
        if words:
            check_command(where, words)


def validate(where, text):
    checked[1] += 1
    path = f"{TMP}/doc_config_{len(help_cache)}_{abs(hash(where))}.yaml"
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run([BIN, "config", "validate", path], capture_output=True, text=True)
    if p.returncode != 0:
        msg = (p.stdout + p.stderr).strip().splitlines()
        problems.append(f"{where}: config example does not validate: {msg[0] if msg else p.returncode}")


for doc in docs:
    lines = open(doc, encoding="utf-8").read().split("\n")
    fence, block, start, heredoc, cont = None, [], 0, None, []
    for n, line in enumerate(lines, 1):
        where = f"{doc}:{n}"
        m = re.match(r"^\s*```+\s*(\w*)", line)
        if m and fence is None:
            fence, block, start = (m.group(1) or "text"), [], n + 1
            continue
        if m and fence is not None:
            if fence == "yaml" and block and re.match(r"^version:", block[0] if not block[0].startswith("#")
                                                       else next((b for b in block if not b.startswith("#")), "")):
                validate(f"{doc}:{start}", "\n".join(block) + "\n")
            fence = None
            continue
        if fence is not None:
            block.append(line)
            if heredoc is not None:
                if line.strip() == heredoc[0]:
                    validate(heredoc[1], "\n".join(heredoc[2]) + "\n")
                    heredoc = None
                else:
                    heredoc[2].append(line)
                continue
            if fence in ("sh", "bash", "console", "shell", "text", ""):
                h = re.search(r"cat\s*>\s*\S+\.ya?ml\s*<<-?\s*'?(\w+)'?", line)
                if h and fence in ("sh", "bash", "console", "shell"):
                    heredoc = (h.group(1), where, [])
                    continue
                if line.rstrip().endswith("\\"):
                    cont.append(line.rstrip()[:-1])
                    continue
                scan_line(where, " ".join(cont + [line]))
                cont.clear()
        else:
            for code in re.findall(r"`([^`]+)`", line):
                scan_line(where, code)

for c in configs:
    checked[1] += 1
    p = subprocess.run([BIN, "config", "validate", c], capture_output=True, text=True)
    if p.returncode != 0:
        problems.append(f"{c}: does not validate: {(p.stdout + p.stderr).strip()[:300]}")

for p in problems:
    print(p)
print(f"checked {checked[0]} commands and {checked[1]} config examples in {len(docs)} documents; "
      f"{len(problems)} problems")
sys.exit(1 if problems else 0)

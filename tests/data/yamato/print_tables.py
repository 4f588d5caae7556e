#!/usr/bin/env python3
# Gives the synthetic today's-layout (yamato-2019) pages of this directory
# what a real one carries besides the visible blocks (carriers/yamato/README.md,
# Layouts, yamato-2019): the print functions PRINT_n() in <head>, whose
# swd.writeln strings hold a print table 荷物状況 | 日 付 | 時 刻 | 担当店名 |
# 担当店コード with the office code of every event, and a link to the office
# page (Sngp?…&JC=<code>) on some office names. The expectations get the
# codes as location_code. python3 print_tables.py FILE.html... (idempotent)
import hashlib, json, re, sys

# office codes of the synthetic offices (made up, six digits like the 2009 pages')
CODES = {}

def code_of(name):
    if name not in CODES:
        CODES[name] = "0" + str(int(hashlib.md5(name.encode()).hexdigest(), 16) % 100000).zfill(5)
    return CODES[name]

def strip_tags(s):
    return re.sub(r"<[^>]+>", "", s).strip()

def sngp(code, name):
    return (f'<a href="https://sneko2.kuronekoyamato.co.jp/sneko2/Sngp?ID=NET_C&amp;JC={code}&amp;DN=&amp;MD=&amp;F=2"'
            f' target="_blank">{name}</a>')

def blocks_of(body):
    out = []
    for m in re.finditer(r'<div class="parts-tracking-invoice-block">(.*?)\n</div>', body, re.S):
        b = m.group(1)
        num = re.search(r'tracking-invoice-block-title">[^<：]*：([0-9-]+)<', b)
        evs = re.findall(r'<li><div class="item">(.*?)</div><div class="date">(.*?)</div><div class="name">(.*?)</div></li>', b)
        detail = 'tracking-invoice-block-detail' in b
        msg = re.search(r'tracking-invoice-block-state-summary">(.*?)</div>', b)
        out.append((num.group(1) if num else "", [(w, d, strip_tags(n)) for w, d, n in evs] if detail else [],
                    strip_tags(msg.group(1)) if msg else ""))
    return out

def print_fn(i, number, events, message):
    w = [" PRINT_HEADER();",
         "<table border=1 width=600 bordercolor=#000000>",
         "<tr><td align=center bgcolor=#CCCCCC><b>詳細情報</b></td></tr>",
         "</table>",
         "<center>",
         f"<font size=4>　{i + 1}件目</font>",
         "<font size=4><b>　伝票番号　</b></font>",
         f"<font size=4><b>{number}</b></font>",
         "<p>",
         f"<table border=0><tr><td><b>{message}</b></td></tr></table><p>"]
    if events:
        w += ["<table border=1 bordercolor=#000000 cellpadding=1 cellspacing=0>", "<tr>"]
        w += [f" <th bgcolor=#CCCCCC>{h}</th>" for h in ("荷物状況", "日 付", "時 刻", "担当店名", "担当店コード")]
        w += ["</tr>"]
        for word, date, name in events:
            m = re.match(r"(\d+)月(\d+)日\s*(\d+:\d+)?", date)
            day = f"{m.group(1)}/{m.group(2)}" if m else ""
            time = m.group(3) or "" if m else ""
            w += ["<tr>", f" <td>{word}</td>", f" <td>{day}</td>", f" <td>{time}<br></td>",
                  f" <td>{name}</td>", f" <td>{code_of(name)}</td>", "</tr>"]
        w += ["</table>"]
    w += ["</center>"]
    lines = [w[0]] + [" swd.writeln('" + x + "');" for x in w[1:]] + [" PRINT_HOOTER();"]
    return f"function PRINT_{i}(){{\n" + "\n".join(lines) + "\n}"

HEADER = """var swd;
function PRINT_HEADER(){
 var subwin = window.open("","","status=0,scrollbars=1,toolbar=0,width=750,height=520");
 swd = subwin.window.document;
 swd.open();
 swd.writeln('<html><head><title>荷物問い合わせシステム｜ヤマト運輸</title></head><body>');
}
function PRINT_HOOTER(){
 swd.writeln('<form><INPUT TYPE=button VALUE=印刷 onClick=window.print()></form>');
 swd.writeln('</body></html>');
 swd.close();
}"""

def transform(path):
    html = open(path, encoding="utf-8").read()
    if "function PRINT_" in html:
        return None
    # the head ends where the body starts (the print copy holds "</head>" too)
    head, body = html.split("</head>\n<body>", 1)
    head += "</head>\n<body>"
    blocks = blocks_of(body)
    fns = "\n".join(print_fn(i, num, evs, msg) for i, (num, evs, msg) in enumerate(blocks))
    head = head[: -len("</head>\n<body>")] + "<script>\n" + HEADER + "\n" + fns + "\n</script>\n</head>\n<body>"
    # the first office of each history links to its office page, in the
    # visible block and in its print-popup copy alike
    for num, evs, msg in blocks:
        if not evs:
            continue
        name = evs[0][2]
        plain = f'<div class="name">{name}</div>'
        linked = f'<div class="name">{sngp(code_of(name), name)}</div>'
        head = head.replace(plain, linked)
        body = body.replace(plain, linked)
    open(path, "w", encoding="utf-8").write(head + body)
    return blocks

def update_expectation(path, blocks):
    exp_path = path[:-len(".html")] + ".expect.json"
    d = json.load(open(exp_path, encoding="utf-8"))
    by_number = {re.sub(r"\D", "", num): evs for num, evs, msg in blocks}
    for p in d.get("parcels", []):
        evs = by_number.get(p["tracking_number"], [])
        for k, e in enumerate(p.get("events", [])):
            if k < len(evs):
                e["location_code"] = code_of(evs[k][2])
    note = (" The page carries the print functions PRINT_n() of a real today's page: their print table"
            " (荷物状況 | 日 付 | 時 刻 | 担当店名 | 担当店コード) gives every event its office code, and the"
            " first office of each history links to its office page (Sngp?…&JC=<code>).")
    if "PRINT_n()" not in d.get("notes", ""):
        d["notes"] = d.get("notes", "") + note
    open(exp_path, "w", encoding="utf-8").write(json.dumps(d, ensure_ascii=False, indent=1) + "\n")

if __name__ == "__main__":
    for f in sys.argv[1:]:
        b = transform(f)
        if b is not None:
            update_expectation(f, b)

#!/usr/bin/env python3
# Writes synthetic today's-layout (yamato-2019) pages and their expectations
# (python3 make_synthetic.py, from this directory). The structure is the one
# carriers/yamato/README.md documents (Layouts, yamato-2019): the print copy
# of the blocks in <head>, the number list, one invoice block per number.
import json, sys
import print_tables

def dashed(n):
    return f"{n[:4]}-{n[4:8]}-{n[8:]}"

def block(i, b):
    rows = "\n".join(
        f'      <li><div class="item">{w}</div><div class="date">{d}</div><div class="name">{p}</div></li>'
        for w, d, p in b["events"])
    eta = f'\n      <li><div class="item">お届け予定日時</div><div class="data">{b["eta"]}</div></li>' if b.get("eta") else ""
    return f'''<div class="tracking-anchor" id="AA{i:02d}0"></div>
<div class="parts-tracking-invoice-block">
  <h3 class="tracking-invoice-block-title">{i + 1}件目：{dashed(b["number"])}</h3>
  <div class="tracking-invoice-block-message"></div>
  <div class="tracking-invoice-block-state {b["cls"]}">
    <h4 class="tracking-invoice-block-state-title">{b["state"]}</h4>
    <div class="tracking-invoice-block-state-summary">{b["summary"]}</div>
    <div class="tracking-invoice-block-state-note">お問い合わせはサービスセンターまでお願いいたします。</div>
  </div>
  <div class="tracking-invoice-block-summary"><ul>
      <li><div class="item">商品名</div><div class="data">{b["service"]}</div></li>{eta}
  </ul></div>
  <div class="tracking-invoice-block-detail"><ol>
{rows}
  </ol></div>
</div>'''

def page(blocks, note):
    body_blocks = "\n".join(block(i, b) for i, b in enumerate(blocks))
    js = "\n".join(" swd.writeln('" + l + "');" for l in body_blocks.split("\n"))
    listing = "\n".join(
        f'  <li><div class="number">{i + 1}件目：{dashed(b["number"])}</div><div class="data state">'
        f'<a class="js-tracking-detail" href="#AA{i:02d}0">{b["listed"]}</a></div></li>' for i, b in enumerate(blocks))
    return f'''<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>荷物問い合わせシステム｜ヤマト運輸</title>
<link rel="stylesheet" href="/tracking/css/tracking.css">
<script>
function printTracking(){{
 var subwin = window.open("","","status=0,scrollbars=1,toolbar=0,width=750,height=520");
 var swd = subwin.window.document;
 swd.open();
 swd.writeln('<!DOCTYPE html>');
 swd.writeln('<html lang="ja"><head><title>荷物問い合わせシステム｜ヤマト運輸</title></head>');
 swd.writeln('<body>');
{js}
 swd.writeln('</body></html>');
 swd.close();
}}
</script>
</head>
<body>
<!-- synthetic page: {note} -->
<div class="l-wrapper">
<header class="l-header"><a href="https://www.kuronekoyamato.co.jp/"><img src="/images/logo.svg" alt="ヤマト運輸"></a></header>
<main class="l-main">
<form method="post" action="/cgi-bin/tneko" name="tracking">
<input type="hidden" name="number00" value="1">
<div class="parts-tracking-list"><ul>
{listing}
</ul></div>
{body_blocks}
<div class="tracking-print"><button type="button" onclick="printTracking()">印刷する</button></div>
</form>
</main>
<footer class="l-footer"><small>&copy; YAMATO TRANSPORT CO.,LTD.</small></footer>
</div>
</body>
</html>
'''

def expectation(name, now, blocks, note, parcels_extra):
    parcels = []
    for b, extra in zip(blocks, parcels_extra):
        evs = []
        for (w, d, p), ex in zip(b["events"], extra.get("event_rows", [{}] * len(b["events"]))):
            e = {"status_text": w, "timestamp": d, "location": p}
            e.update(ex)
            evs.append(e)
        p = {"tracking_number": b["number"], "tracking_number_as_shown": dashed(b["number"]),
             "status": extra["status"], "events_count": len(b["events"]),
             "first_event_timestamp": b["events"][0][1], "last_event_timestamp": b["events"][-1][1],
             "last_event_status_text": b["events"][-1][0], "state_title": b["state"], "service": b["service"]}
        if "exceptions" in extra:
            p["exceptions"] = extra["exceptions"]
        p["events"] = evs
        parcels.append(p)
    return {"file": name + ".html", "carrier": "yamato", "now": now, "layout": "yamato-2019", "synthetic": True,
            "layout_note": "synthetic: .parts-tracking-invoice-block layout built from carriers/yamato/README.md",
            "format": "html", "encoding": "UTF-8", "original_bytes": False,
            "source": {"repo": "(none: synthetic)", "built_from": "carriers/yamato/README.md (made by make_synthetic.py)"},
            "parcel_count": len(parcels),
            "conventions": "events in page order (oldest first); timestamp = the .date text as shown (MM月DD日 HH:mm, no year); tracking_number = digits only.",
            "notes": note, "parcels": parcels}

def write(name, now, blocks, note, extras):
    open(name + ".html", "w", encoding="utf-8").write(page(blocks, note))
    open(name + ".expect.json", "w", encoding="utf-8").write(
        json.dumps(expectation(name, now, blocks, note, extras), ensure_ascii=False, indent=1) + "\n")
    # what a real page carries besides the blocks: PRINT_n() and office codes
    print_tables.update_expectation(name + ".html", print_tables.transform(name + ".html"))

def ev(status, exc=None):
    return {"event_status": status, "event_exception": exc}

A = ("荷物受付", "11月28日 18:02", "大阪東部法人営業支店")
B = ("発送済み", "11月28日 18:02", "大阪東部法人営業支店")
C = ("作業店通過", "11月28日 23:40", "関西ゲートウェイ")
D = ("配達店到着", "11月29日 07:15", "那覇西センター")

# Vocabulary of issue 13, item 8 (carriers/yamato/README.md, Status words)
write("synthetic_2019_nekopos_return_sea", "2024-12-06T12:00:00+09:00", [{
    "number": "400123456924", "service": "ネコポス", "cls": "is-safe-blue", "listed": "12/05　陸・海上切替え",
    "state": "陸・海上切替え", "summary": "お荷物を輸送しております。",
    "events": [A, B, C, D, ("持戻（住所不明）", "11月29日 13:20", "那覇西センター"),
               ("返品", "12月03日 09:00", "那覇西センター"), ("陸・海上切替え", "12月05日 16:45", "沖縄ベース店")]}],
    "A ネコポス being returned: 返品, then 陸・海上切替え (the line haul changed to sea on the way back). The state title says 陸・海上切替え, an in-transit word; the return stays visible: returned_to_sender.",
    [{"status": "returned_to_sender", "exceptions": ["returned_to_sender"],
      "event_rows": [ev("in_transit"), ev("in_transit"), ev("in_transit"), ev("in_transit"),
                     ev("failed_attempt", "address_problem"), ev("returned_to_sender", "returned_to_sender"),
                     ev("in_transit")]}])

write("synthetic_2019_refused", "2024-12-06T12:00:00+09:00", [{
    "number": "400123456935", "service": "宅急便", "cls": "is-urgent-red", "listed": "11/30　持戻（受取拒否）",
    "state": "持戻（受取拒否）", "summary": "お届け先にてお受け取りを拒否されました。",
    "events": [A, B, C, D, ("配達中", "11月30日 09:10", "那覇西センター"), ("持戻（受取拒否）", "11月30日 11:02", "那覇西センター")]}],
    "Refused at the door: 持戻（受取拒否） is an exception (refused).",
    [{"status": "exception", "exceptions": ["refused"],
      "event_rows": [ev("in_transit")] * 4 + [ev("out_for_delivery"), ev("exception", "refused")]}])

write("synthetic_2019_absent", "2024-11-30T14:00:00+09:00", [{
    "number": "400123456946", "service": "宅急便", "cls": "is-urgent-red", "listed": "11/30　ご不在",
    "state": "ご不在", "summary": "ご不在でしたので、お届けできませんでした。",
    "events": [A, B, C, D, ("配達中", "11月30日 09:10", "那覇西センター"), ("ご不在", "11月30日 10:40", "那覇西センター")]}],
    "The absence written bare (ご不在, without 持戻): a failed attempt.",
    [{"status": "failed_attempt", "exceptions": ["failed_attempt"],
      "event_rows": [ev("in_transit")] * 4 + [ev("out_for_delivery"), ev("failed_attempt", "failed_attempt")]}])

write("synthetic_2019_damaged", "2024-11-30T14:00:00+09:00", [{
    "number": "400123456950", "service": "宅急便", "cls": "is-urgent-red", "listed": "11/29　破損",
    "state": "破損", "summary": "お荷物に破損が確認されました。",
    "events": [A, B, C, ("破損", "11月29日 02:30", "関西ゲートウェイ")]}],
    "Damaged at a sorting base: 破損 is an exception (damaged).",
    [{"status": "exception", "exceptions": ["damaged"],
      "event_rows": [ev("in_transit")] * 3 + [ev("exception", "damaged")]}])

write("synthetic_2019_lost", "2024-12-06T12:00:00+09:00", [{
    "number": "400123456961", "service": "宅急便", "cls": "is-urgent-red", "listed": "12/02　紛失調査中",
    "state": "紛失調査中", "summary": "現在お荷物の所在を調査しております。",
    "events": [A, B, C, ("紛失調査中", "12月02日 17:00", "関西ゲートウェイ")]},
    {"number": "400123456972", "service": "宅急便", "cls": "is-urgent-red", "listed": "12/04　紛失",
    "state": "紛失", "summary": "お荷物を紛失いたしました。",
    "events": [A, B, C, ("紛失", "12月04日 11:00", "関西ゲートウェイ")]}],
    "A parcel searched for as lost (紛失調査中) and one lost (紛失): both raise lost, not only under_investigation.",
    [{"status": "exception", "exceptions": ["lost"],
      "event_rows": [ev("in_transit")] * 3 + [ev("exception", "lost")]},
     {"status": "exception", "exceptions": ["lost"],
      "event_rows": [ev("in_transit")] * 3 + [ev("exception", "lost")]}])

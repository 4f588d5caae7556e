#!/usr/bin/env python3
# Writes the scripted lifecycle pages of this directory (python3 make_pages.py).
# one Yamato page (today's layout) per step of a scripted lifecycle
def page(number, state, eta, events):
    dashed = f"{number[:4]}-{number[4:8]}-{number[8:]}" if number.isdigit() else number
    rows = "\n".join(f'      <li><div class="item">{w}</div><div class="date">{d}</div><div class="name">{p}</div></li>' for w, d, p in events)
    etal = f'\n      <li><div class="item">お届け予定日時</div><div class="data">{eta}</div></li>' if eta else ""
    return f'''<!DOCTYPE html>
<html lang="ja">
<head><meta charset="UTF-8"><title>荷物問い合わせシステム｜ヤマト運輸</title></head>
<body>
<!-- synthetic page of a scripted fleet lifecycle (tests/integration/test_fleet.c) -->
<form method="post" action="/cgi-bin/tneko" name="tracking">
<input type="hidden" name="number00" value="1">
<div class="parts-tracking-list"><ul>
  <li><div class="number">1件目：{dashed}</div><div class="data state"><a class="js-tracking-detail" href="#AA000">{state}</a></div></li>
</ul></div>
<div class="tracking-anchor" id="AA000"></div>
<div class="parts-tracking-invoice-block">
  <h3 class="tracking-invoice-block-title">1件目：{dashed}</h3>
  <div class="tracking-invoice-block-state is-safe-blue">
    <h4 class="tracking-invoice-block-state-title">{state}</h4>
  </div>
  <div class="tracking-invoice-block-summary"><ul>
      <li><div class="item">商品名</div><div class="data">宅急便</div></li>{etal}
  </ul></div>
  <div class="tracking-invoice-block-detail"><ol>
{rows}
  </ol></div>
</div>
<div class="tracking-print"><button type="button">印刷する</button></div>
</form>
</body>
</html>
'''
A = ("荷物受付", "12月02日 10:41", "松原営業所（松原）")
B = ("発送済み", "12月02日 10:41", "松原営業所（松原）")
C = ("作業店通過", "12月02日 21:05", "関西ゲートウェイ")
D = ("配達店到着", "12月03日 06:12", "世田谷千歳台センター")
E = ("配達中", "12月03日 09:30", "世田谷千歳台センター")
F = ("持戻（ご不在）", "12月03日 12:10", "世田谷千歳台センター")
G = ("保管中", "12月03日 18:00", "世田谷千歳台センター")
H = ("配達完了", "12月04日 10:15", "世田谷千歳台センター")
life = [
  ("輸送中", "12月03日 14:00-16:00", [A, B, C]),
  ("配達中", "12月03日 14:00-16:00", [A, B, C, D, E]),
  ("持戻（ご不在）", None, [A, B, C, D, E, F]),
  ("保管中", None, [A, B, C, D, E, F, G]),
  ("配達完了", None, [A, B, C, D, E, F, G, H]),
]
n = "400123456784"
for i, (st, eta, ev) in enumerate(life, 1):
    open(f"life_{i}.html", "w").write(page(n, st, eta, ev))
R = ("持戻（住所不明）", "12月03日 15:10", "世田谷千歳台センター")
S = ("返品", "12月05日 10:00", "松原営業所（松原）")
ret = [("輸送中", None, [A, B, C]), ("持戻（住所不明）", None, [A, B, C, D, E, R]), ("返品", None, [A, B, C, D, E, R, S])]
for i, (st, eta, ev) in enumerate(ret, 1):
    open(f"return_{i}.html", "w").write(page("400123456810", st, eta, ev))
open("history_delivered.html", "w").write(page("400123456806", "配達完了", None, [A, B, C, D, E, H]))

# templates for the crash test (tests/integration/test_fleet_crash.c): the
# simulator writes each number into @NUMBER_DASHED@
for i, (st, eta, ev) in enumerate(life, 1):
    open(f"crash_{i}.html", "w").write(page("@NUMBER_DASHED@", st, eta, ev))

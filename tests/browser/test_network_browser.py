"""End-to-end: "Look inside the network" in a real browser.

Train a little, pause, click a hidden neuron on the network diagram, see its
map enlarged, and change that neuron's bias through the edit form.

The diagram is a Plotly chart: a PNG of all neuron tiles under invisible
scatter markers whose customdata say what each one is (["n", column, neuron]
for a neuron). The test finds a neuron's marker in Plotly's own data
(gd._fullData) and clicks the pixel Plotly draws it at, as a user would.
Streamlit remounts Plotly charts on each update and fades stale elements
while a rerun is under way, so only visible, unfaded charts are used, and
positions are computed right before the click.
"""

from __future__ import annotations

import re

import pytest
from test_playground_browser import (
    TEXT,
    UI_TIMEOUT,
    button,
    expect,
    open_app,
    read_epoch,
    shown,
    wait_until,
)

pytestmark = pytest.mark.browser

COLUMN = 1  # the first hidden layer
NEURON = 2  # its third neuron (0-based), shown as "3"
NEW_BIAS = "1.2345"

# JavaScript: the diagram's Plotly div (the visible, unfaded chart with a
# trace of neuron markers) and, in it, the trace of markers of one kind
# ("n", "w" or "b"); null while no such chart is fully drawn.
DIAGRAM_JS = """
const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
const faded = (e) => {
  for (; e; e = e.parentElement) {
    if (e.getAttribute('data-stale') === 'true') return true;
    if (parseFloat(getComputedStyle(e).opacity) < 1) return true;
  }
  return false;
};
const traceOf = (gd, kind) => (gd._fullData || []).find((t) => Array.isArray(t.customdata)
  && t.customdata.length && Array.isArray(t.customdata[0]) && t.customdata[0][0] === kind);
const diagram = () => [...document.querySelectorAll('.js-plotly-plot')].find(
  (gd) => visible(gd) && !faded(gd) && gd._fullLayout && traceOf(gd, 'n'));
"""

# Where neuron marker ["n", column, neuron] is drawn, in CSS pixels of the
# viewport, and how many neuron markers there are; with `scroll`, the diagram
# is first scrolled into view (and further, if the marker is still near an edge).
NODE_JS = """([column, neuron, scroll]) => {""" + DIAGRAM_JS + """
  const gd = diagram();
  if (!gd) return null;
  const trace = traceOf(gd, 'n');
  const i = trace.customdata.findIndex((c) => c[1] === column && c[2] === neuron);
  if (i < 0) return null;
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const where = () => {
    const box = gd.getBoundingClientRect();
    return {x: box.left + xa._offset + xa.l2p(trace.x[i]),
            y: box.top + ya._offset + ya.l2p(trace.y[i])};
  };
  if (scroll) {
    if (gd.scrollIntoViewIfNeeded) gd.scrollIntoViewIfNeeded(true); else gd.scrollIntoView();
    const p = where();
    if (p.y < 40 || p.y > window.innerHeight - 40) {  // a tall chart: centre the marker
      for (let e = gd.parentElement; e; e = e.parentElement) {  // Streamlit's scroll box
        const scrolls = /(auto|scroll)/.test(getComputedStyle(e).overflowY);
        if (scrolls && e.scrollHeight > e.clientHeight) {
          e.scrollBy(0, p.y - window.innerHeight / 2);
          break;
        }
      }
    }
  }
  const p = where();
  return {x: p.x, y: p.y, inView: p.y > 0 && p.y < window.innerHeight,
          nodes: trace.customdata.length};
}"""

# The colour value of bias marker ["b", layer, neuron], which is the bias itself.
BIAS_JS = """([layer, neuron]) => {""" + DIAGRAM_JS + """
  const gd = diagram();
  const trace = gd && traceOf(gd, 'b');
  if (!trace) return null;
  const i = trace.customdata.findIndex((c) => c[1] === layer && c[2] === neuron);
  return i < 0 ? null : trace.marker.color[i];
}"""


def node_spot(page, column: int, neuron: int, timeout_s: float = 30) -> dict:
    """Where to click neuron marker ["n", column, neuron]: scrolled into view,
    and the same in two readings in a row (no scrolling or redraw under way)."""
    last: list = [None]

    def settled() -> bool:
        spot = page.evaluate(NODE_JS, [column, neuron, True])
        still = spot is not None and spot["inView"] and spot == last[0]
        last[0] = spot
        return still

    wait_until(page, settled, timeout_s, f"neuron {neuron} of column {column} on the diagram")
    return last[0]


def neuron_chart(page):
    """The enlarged map of one neuron: a chart titled "<layer>, neuron <n>"."""
    return shown(page, "stPlotlyChart").filter(
        has=page.locator(".gtitle", has_text=re.compile(re.escape(", neuron ")))
    )


def edit_field(page, label: str):
    form = shown(page, "stForm")
    return form.get_by_label(label, exact=True)


def test_click_a_neuron_and_edit_its_bias(page, app_url):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_app(page, app_url)
    expect(page.get_by_text(TEXT["inside.network_title"], exact=True)).to_be_visible()

    # Train a few epochs, then pause: the diagram stops being redrawn.
    button(page, TEXT["button.play"]).click()
    expect(button(page, TEXT["button.pause"])).to_be_visible(timeout=UI_TIMEOUT)
    wait_until(page, lambda: read_epoch(page) >= 3, 30, "three epochs of training")
    button(page, TEXT["button.pause"]).click()
    expect(button(page, TEXT["button.play"])).to_be_enabled(timeout=UI_TIMEOUT)
    expect(button(page, TEXT["button.pause"])).to_have_count(0)

    # The diagram is drawn: one visible chart carries the neuron markers
    # (default network 2 -> 8 -> 8 -> 1: 19 of them). Click the neuron where
    # Plotly draws it, once it holds still in view.
    spot = node_spot(page, COLUMN, NEURON)
    assert spot["nodes"] == 2 + 8 + 8 + 1, spot
    page.mouse.move(spot["x"], spot["y"])
    page.mouse.click(spot["x"], spot["y"])

    # Its map appears enlarged, titled with the layer and the neuron.
    layer_name = TEXT["inside.layer"].format(i=COLUMN, act=TEXT["activation.tanh"])
    title = TEXT["inside.neuron_title"].format(layer=layer_name, neuron=NEURON + 1)
    expect(neuron_chart(page)).to_have_count(1, timeout=UI_TIMEOUT)
    expect(neuron_chart(page).locator(".gtitle")).to_have_text(title)

    # The edit form now points at that neuron's bias.
    kind = edit_field(page, TEXT["inside.kind"])
    expect(kind).to_have_value(TEXT["inside.kind.b"], timeout=UI_TIMEOUT)
    expect(edit_field(page, TEXT["inside.into"])).to_have_value(layer_name)
    expect(edit_field(page, TEXT["inside.to_neuron"])).to_have_value(str(NEURON + 1))

    value = edit_field(page, TEXT["inside.value"])
    value.fill(NEW_BIAS)
    shown(page, "stFormSubmitButton").get_by_role("button").filter(
        has=page.get_by_text(TEXT["inside.apply"], exact=True)).click()

    now = TEXT["inside.current"].format(value=NEW_BIAS)
    expect(page.get_by_text(now, exact=True).filter(visible=True)).to_have_count(
        1, timeout=UI_TIMEOUT)
    expect(value).to_have_value(NEW_BIAS)
    # The diagram is redrawn from the model: that neuron's bias marker has the new bias.
    bias = []
    wait_until(page, lambda: bias.append(page.evaluate(BIAS_JS, [COLUMN - 1, NEURON]))
               or bias[-1] is not None and abs(bias[-1] - float(NEW_BIAS)) < 1e-4, 30,
               f"the diagram to show bias {NEW_BIAS}")
    expect(neuron_chart(page)).to_have_count(1)  # the selection survives the edit
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert not errors, errors

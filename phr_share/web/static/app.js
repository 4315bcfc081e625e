// PHR Share: the little the pages need from a script. No inline scripts anywhere (CSP).
"use strict";

const PALETTE = ["#1f6feb", "#d1495b", "#2a9d8f", "#e9a23b"];

function drawCharts(host, data) {
  if (!data.charts.length) {
    const empty = host.querySelector(".charts-empty");
    if (empty) empty.hidden = false;
    return;
  }
  for (const chart of data.charts) {
    const figure = document.createElement("figure");
    figure.className = "chart";
    const caption = document.createElement("figcaption");
    caption.textContent = chart.title + " (" + chart.unit + ")";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", chart.title + " over time");
    figure.append(caption, canvas);
    host.append(figure);
    const labels = [...new Set(chart.lines.flatMap((l) => l.points.map((p) => p.t)))].sort();
    const datasets = chart.lines.map((line, i) => {
      const byTime = new Map(line.points.map((p) => [p.t, p.v]));
      return {
        label: line.label,
        data: labels.map((t) => (byTime.has(t) ? byTime.get(t) : null)),
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        spanGaps: true,
        tension: 0.25,
      };
    });
    // eslint-disable-next-line no-undef
    new Chart(canvas, {
      type: "line",
      data: { labels: labels.map((t) => t.slice(0, 10)), datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: { y: { title: { display: true, text: chart.unit } } },
      },
    });
  }
  host.dataset.ready = "true";
}

async function loadCharts() {
  for (const host of document.querySelectorAll("[data-series]")) {
    if (typeof Chart === "undefined") continue;
    const response = await fetch(host.dataset.series, { credentials: "same-origin" });
    if (response.ok) drawCharts(host, await response.json());
  }
}

function fillLinkToken() {
  // A one-visit link carries its token after '#', which browsers never send to servers.
  const field = document.getElementById("link-token");
  if (field && location.hash.length > 1) {
    field.value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  fillLinkToken();
  loadCharts();
});

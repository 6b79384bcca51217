// Live score preview of the evaluation form. Display only: the server recomputes the saved score with
// qa/scoring.py. Same formula: c = (chosen − min) / (max − min) × 100, N/A left out, points or weighted
// sections, any critical criterion with c < 50 → 0 (auto-fail).
(function () {
  "use strict";
  var form = document.getElementById("qa-evaluation");
  if (!form) { return; }
  var out = document.getElementById("qa-live-score");
  var reasonsList = document.getElementById("qa-live-reasons");
  var lastEvidence = null;

  function fmt(x) { return (Math.round(x * 10 + 1e-9) / 10).toFixed(1); }

  function compute() {
    var criteria = form.querySelectorAll(".qa-criterion");
    var sections = {};
    var all = { sum: 0, weight: 0 };
    var complete = true;
    var failing = [];
    criteria.forEach(function (el) {
      var id = el.getAttribute("data-criterion");
      var checked = form.querySelector('input[name="rating_' + id + '"]:checked');
      if (!checked) { complete = false; return; }
      if (checked.value === "na") { return; }
      var min = Number(el.getAttribute("data-min"));
      var max = Number(el.getAttribute("data-max"));
      var points = Number(el.getAttribute("data-points"));
      var c = (Number(checked.value) - min) / (max - min) * 100;
      var sid = el.getAttribute("data-section");
      sections[sid] = sections[sid] || { sum: 0, weight: 0 };
      sections[sid].sum += c * points;
      sections[sid].weight += points;
      all.sum += c * points;
      all.weight += points;
      if (el.getAttribute("data-critical") === "1" && c < 50) { failing.push(el.getAttribute("data-name")); }
    });
    var score = null;
    if (form.getAttribute("data-mode") === "weighted_sections") {
      var num = 0, den = 0;
      form.querySelectorAll(".qa-section").forEach(function (sec) {
        var s = sections[sec.getAttribute("data-section")];
        if (s && s.weight > 0) {
          var w = Number(sec.getAttribute("data-weight"));
          num += (s.sum / s.weight) * w;
          den += w;
        }
      });
      score = den > 0 ? num / den : null;
    } else {
      score = all.weight > 0 ? all.sum / all.weight : null;
    }
    if (failing.length) { score = 0; }
    out.textContent = (score === null ? "—" : fmt(score)) + (complete ? "" : " …");
    reasonsList.textContent = "";
    failing.forEach(function (name) {
      var li = document.createElement("li");
      li.textContent = reasonsList.getAttribute("data-label") + " " + name;
      reasonsList.appendChild(li);
    });
  }

  form.addEventListener("change", compute);
  form.addEventListener("focusin", function (event) {
    if (event.target.name && event.target.name.indexOf("evidence_") === 0) { lastEvidence = event.target; }
  });
  document.querySelectorAll(".qa-quote").forEach(function (button) {
    button.addEventListener("click", function () {
      var selection = window.getSelection ? String(window.getSelection()).trim() : "";
      var target = form.querySelector('[name="' + button.getAttribute("data-target") + '"]') || lastEvidence;
      if (selection && target) {
        target.value = target.value ? target.value + "\n" + selection : selection;
      }
    });
  });
  compute();
})();

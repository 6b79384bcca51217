// Possible duplicates while an author types a new article's title (articles/search/similar.py).
(function () {
  "use strict";
  var panel = document.querySelector(".semantic-duplicates[data-duplicates-url]");
  var title = document.getElementById("title");
  if (!panel || !title) {
    return;
  }
  var scenario = document.getElementById("scenario");
  var body = panel.querySelector(".semantic-duplicates-body");
  var list = panel.querySelector(".semantic-list");
  var timer = null;
  var last = "";

  function render(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/articles/" + encodeURIComponent(item.id);
      a.textContent = item.title;
      li.appendChild(a);
      list.appendChild(li);
    });
    body.hidden = items.length === 0;
  }

  function check() {
    var text = title.value.trim();
    var key = text + "\n" + (scenario ? scenario.value.trim() : "");
    if (key === last) {
      return;
    }
    last = key;
    if (text.length < 4) {
      render([]);
      return;
    }
    var params = new URLSearchParams({ title: text.slice(0, 400) });
    if (scenario && scenario.value.trim()) {
      params.set("scenario", scenario.value.trim().slice(0, 400));
    }
    if (panel.dataset.exclude) {
      params.set("exclude", panel.dataset.exclude);
    }
    fetch(panel.dataset.duplicatesUrl + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) {
        return r.ok ? r.json() : { duplicates: [] };
      })
      .then(function (data) {
        render(data.duplicates || []);
      })
      .catch(function () {});
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  }

  title.addEventListener("input", later);
  if (scenario) {
    scenario.addEventListener("change", later);
  }
})();

// Response import mapping page: show each column's answer fields only for answer columns (yes/no values only for
// yes/no questions), and recount, from the first rows' values, how many cells fall outside the chosen question's
// scale once the column's not-applicable codes are left out. The server checks the whole file again.
(function () {
  var form = document.querySelector("[data-import-mapping]");
  if (!form) {
    return;
  }
  function json(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }
  var samples = json("import-sample-values");
  var scales = json("import-question-scales");

  function codes(text) {
    return (text || "").split(",").map(function (part) {
      return part.trim().toLowerCase();
    }).filter(function (part) {
      return part !== "";
    });
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function recount(row, question) {
    var line = row.querySelector("[data-column-check]");
    var counts = samples[row.getAttribute("data-column")] || {};
    if (!line || !question || ["nps", "csat", "ces", "rating"].indexOf(question.kind) < 0) {
      if (line) {
        line.textContent = "";
      }
      return;
    }
    var na = codes(row.querySelector("[name$='_na']").value);
    var filled = 0;
    var off = [];
    var offCount = 0;
    Object.keys(counts).forEach(function (value) {
      var n = counts[value];
      filled += n;
      if (na.indexOf(value.toLowerCase()) >= 0) {
        return;
      }
      var score = /^[0-9]{1,3}([.,]0+)?$/.test(value) ? parseInt(value, 10) : NaN;
      if (isNaN(score) || score < question.low || score > question.high) {
        offCount += n;
        off.push("“" + value + "” ×" + n);
      }
    });
    var expected = question.low + "-" + question.high;
    line.textContent = fill(form.getAttribute(offCount ? "data-msg-off" : "data-msg-ok"), {
      off: offCount,
      filled: filled,
      expected: expected,
      values: off.slice(0, 5).join(", ")
    });
    line.classList.toggle("text-danger", offCount > 0);
    line.classList.toggle("text-success", offCount === 0);
  }

  function update(row, recalculate) {
    var role = row.querySelector("select[name='col_" + row.getAttribute("data-column") + "']");
    if (!role) {
      return;
    }
    var isAnswer = role.value.indexOf("q:") === 0;
    var question = isAnswer ? scales[role.value.slice(2)] : null;
    // Hidden fields are disabled too, so a file of many columns posts only what matters (Django caps the number
    // of posted fields); the server fills what is missing from its defaults.
    function show(node, visible) {
      node.hidden = !visible;
      node.querySelectorAll("input, select").forEach(function (input) {
        input.disabled = !visible;
      });
    }
    var fields = row.querySelector("[data-answer-fields]");
    if (fields) {
      show(fields, isAnswer);
    }
    row.querySelectorAll("[data-yes-no-fields]").forEach(function (node) {
      show(node, Boolean(question && question.kind === "yes_no"));
    });
    if (recalculate) {
      recount(row, question);
    }
  }

  form.querySelectorAll("[data-column]").forEach(function (row) {
    update(row, false);
    row.addEventListener("change", function () {
      update(row, true);
    });
    row.addEventListener("input", function (event) {
      if (event.target.name && /_na$/.test(event.target.name)) {
        update(row, true);
      }
    });
  });
})();

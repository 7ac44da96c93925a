/* amip: renders every <div class="chart"> with vega-embed, offline and CSP-safe.
   The Vega-Lite spec is either in a data-spec attribute or in a
   <script type="application/json"> block whose id the data-spec-id attribute names.
   Expressions are evaluated by vega-embed's interpreter (ast: true), so no eval is needed. */
(function () {
  "use strict";

  var FORMAT_DE = {decimal: ",", thousands: ".", grouping: [3], currency: ["", "\u00a0€"],
                   minus: "\u2212", percent: "\u00a0%"};
  var TIME_DE = {
    dateTime: "%A, der %e. %B %Y, %X", date: "%d.%m.%Y", time: "%H:%M:%S",
    periods: ["AM", "PM"],
    days: ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
    shortDays: ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
    months: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
             "September", "Oktober", "November", "Dezember"],
    shortMonths: ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt",
                  "Nov", "Dez"]
  };

  function specOf(el) {
    var id = el.getAttribute("data-spec-id");
    var text = id ? (document.getElementById(id) || {}).textContent : el.getAttribute("data-spec");
    return text ? JSON.parse(text) : null;
  }

  /* a chart wider than its box (a phone) takes the box's width: width=container */
  function fit(el, spec) {
    var box = el.clientWidth;
    var axes = spec.width > 200 ? 60 : 0;  /* room for the axes beside the plot */
    if (typeof spec.width === "number" && box > 0 && spec.width + axes > box) {
      spec.width = "container";
      spec.autosize = {type: "fit", contains: "padding"};
    }
  }

  function render(root) {
    var charts = (root || document).querySelectorAll(".chart[data-spec], .chart[data-spec-id]");
    charts.forEach(function (el) {
      if (el.getAttribute("data-rendered")) { return; }
      var spec = specOf(el);
      if (!spec) { return; }
      el.setAttribute("data-rendered", "1");
      fit(el, spec);
      window.vegaEmbed(el, spec, {
        actions: false, renderer: "svg", ast: true, defaultStyle: false,
        tooltip: {disableDefaultStyle: true},  /* CSP: no injected <style>; amip.css styles it */
        logLevel: window.vega.Error,  /* Vega-Lite's hints about a spec are not page errors */
        formatLocale: FORMAT_DE, timeFormatLocale: TIME_DE,
        loader: {http: {credentials: "same-origin"}}
      }).catch(function (err) {
        el.textContent = "Diagramm nicht darstellbar: " + err.message;
        el.classList.add("chart-error");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSettle", function (ev) { render(ev.target); });
  /* charts swapped out of band (the page Ziele loads all its charts in one response) */
  document.addEventListener("htmx:oobAfterSwap", function () { render(document); });

  /* selects that navigate (month, sex): change → submit their form, without inline handlers */
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
  });
})();

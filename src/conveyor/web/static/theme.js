// Applies a saved light/dark choice before the first paint; without one the system decides.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("conveyor-theme"); } catch (e) { /* storage blocked */ }
  if (saved === "dark" || saved === "light") { document.documentElement.dataset.theme = saved; }
})();

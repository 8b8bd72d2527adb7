// Runs before the first paint: applies the theme the user picked (otherwise the system's).
(function applyStoredTheme() {
  try {
    var chosen = localStorage.getItem("vantage.theme");
    if (chosen === "light" || chosen === "dark") document.documentElement.dataset.theme = chosen;
  } catch (error) {
    // Storage may be disabled; the system preference still applies.
  }
})();

/* autolog UI: the router. Each view has its own URL; the server has already answered 404
   for an unknown experiment, run or model, so a failure here is shown as a message. */
"use strict";
(function () {
  const AL = window.AL;
  const routes = [
    [/^\/$/, (main) => AL.pages.experiments(main)],
    [/^\/experiments\/([^/]+)$/, (main, m) => AL.pages.runs(main, decodeURIComponent(m[1]))],
    [/^\/runs\/([^/]+)$/, (main, m) => AL.pages.run(main, decodeURIComponent(m[1]))],
    [/^\/compare$/, (main) => AL.pages.compare(main)],
    [/^\/models$/, (main) => AL.pages.models(main)],
    [/^\/models\/([^/]+)$/, (main, m) => AL.pages.model(main, decodeURIComponent(m[1]))],
  ];

  async function start() {
    const main = AL.main();
    const path = window.location.pathname;
    for (const [pattern, page] of routes) {
      const m = pattern.exec(path);
      if (!m) continue;
      try {
        await page(main, m);
      } catch (err) {
        AL.clear(main);
        main.appendChild(AL.h("h1", { text: err.status === 404 ? "Not found" : "Something went wrong" }));
        main.appendChild(AL.errorBox(err.message));
        main.appendChild(AL.h("p", {}, AL.h("a", { href: "/", text: "Back to the experiments" })));
      }
      main.dataset.ready = "1";
      return;
    }
    main.appendChild(AL.h("h1", { text: "Not found" }));
    main.appendChild(AL.errorBox("There is no page at " + path + "."));
    main.dataset.ready = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

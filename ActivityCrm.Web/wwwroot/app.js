// Small helpers the components call through JS interop.
window.activityCrm = {
  copyText: async (text) => { await navigator.clipboard.writeText(text); return true; },
  // Called by the layout after its first interactive render: the circuit is up (tests wait for this).
  markInteractive: () => { window.__acrmCircuitUp = true; document.body.dataset.interactive = 'true'; },
};

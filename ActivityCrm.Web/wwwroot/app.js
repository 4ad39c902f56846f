// Small helpers the components call through JS interop.
window.activityCrm = {
  copyText: async (text) => { await navigator.clipboard.writeText(text); return true; },
  // Tells a component which of the media queries match now and whenever that changes (tables hide
  // columns this way: CSS cannot, because Radzen's colgroup and colspans would keep their space).
  watchMedia: (queries, dotnetRef, method) => {
    const lists = queries.map(q => window.matchMedia(q));
    const report = () => dotnetRef.invokeMethodAsync(method, lists.map(l => l.matches));
    lists.forEach(l => l.addEventListener('change', report));
    const id = (window.__acrmMediaWatches = (window.__acrmMediaWatches || 0) + 1);
    (window.__acrmMediaUnwatch ||= {})[id] = () => lists.forEach(l => l.removeEventListener('change', report));
    report();
    return id;
  },
  unwatchMedia: (id) => { window.__acrmMediaUnwatch?.[id]?.(); delete window.__acrmMediaUnwatch?.[id]; },
  // Called by the layout after its first interactive render: the circuit is up (tests wait for this).
  markInteractive: () => { window.__acrmCircuitUp = true; document.body.dataset.interactive = 'true'; },
};

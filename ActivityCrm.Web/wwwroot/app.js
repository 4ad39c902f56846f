// Small helpers the components call through JS interop.
window.activityCrm = {
  copyText: async (text) => { await navigator.clipboard.writeText(text); return true; },
};

// The grid drops its secondary columns on phone-sized screens (decided once, when the page opens).
export function isNarrow() { return window.matchMedia('(max-width: 640px)').matches; }

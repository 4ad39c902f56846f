// Infinite scroll for the lead timeline: tells .NET when the end of the list comes near the viewport.
// The page scrolls inside Radzen's body, and a null root observes against the viewport with that clipping.
export function observe(element, dotnet) {
  const observer = new IntersectionObserver(entries => {
    if (entries.some(e => e.isIntersecting)) dotnet.invokeMethodAsync('LoadMoreFromScroll').catch(() => { });
  }, { rootMargin: '0px 0px 600px 0px' });
  observer.observe(element);
  return {
    // Re-observing reports the current state again: keeps loading while the end is still in view.
    recheck() { observer.unobserve(element); observer.observe(element); },
    dispose() { observer.disconnect(); },
  };
}

export function timeZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch { return null; }
}

/**
 * The core's MessagePort, from main to the page, as early as both are ready (issue 7.8). The
 * preload asks main for it as soon as it runs (before any of the page's scripts); the page's
 * first module asks the preload for it (`requestCorePort`) before the rest of the page has
 * loaded. Whichever comes second hands it over, once: a port can be transferred only once, and a
 * reloaded page gets a new preload, so a new port. Before, main posted it at did-finish-load,
 * after the whole bundle had run. Pure (no Electron): tests/shell/port-handover.test.ts.
 */
export function portHandover<Port>(post: (ports: readonly Port[]) => void) {
  let ports: readonly Port[] | null = null
  let asked = false
  let done = false
  const handOver = () => {
    if (done || !asked || !ports) return
    done = true
    const given = ports
    ports = null
    post(given)
  }
  return {
    /** Main's ports arrived (IPC.corePort). */
    arrived(given: readonly Port[]): void {
      if (done || given.length === 0) return
      ports = given
      handOver()
    },
    /** The page asked (its listener is in place). */
    asked(): void {
      asked = true
      handOver()
    },
  }
}

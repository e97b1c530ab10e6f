// Preloaded into both benchmark servers (node --expose-gc --require): SIGUSR2 runs a full GC and
// answers "gc done" on stderr, so idle memory is read from /proc after a collection, not with
// whatever garbage the connects left behind.
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') global.gc()
  process.stderr.write('gc done\n')
})

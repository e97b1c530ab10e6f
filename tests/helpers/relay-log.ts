/**
 * Queue-room connections the relay accepted, from its log: one per connect of a core's link to
 * the workspace's queue, so a count that does not grow says there was no reconnect loop.
 * `member` counts one member's only (the log line names the member id).
 */
export function queueConnections(logs: string, workspaceId: string, member?: string): number {
  return logs
    .split('\n')
    .filter(
      (line) =>
        line.includes('connection accepted') &&
        line.includes(`${workspaceId}/queue`) &&
        (member === undefined || line.includes(member)),
    ).length
}

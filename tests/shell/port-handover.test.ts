import { describe, expect, it } from 'vitest'
import { portHandover } from '../../main/preload/port-handover'

describe('the core’s port, handed to the page as early as both are ready (issue 7.8)', () => {
  it('waits for the page to ask when main’s port comes first', () => {
    const posted: string[][] = []
    const handover = portHandover<string>((ports) => posted.push([...ports]))
    handover.arrived(['port'])
    expect(posted).toEqual([])
    handover.asked()
    expect(posted).toEqual([['port']])
  })

  it('waits for main’s port when the page asks first', () => {
    const posted: string[][] = []
    const handover = portHandover<string>((ports) => posted.push([...ports]))
    handover.asked()
    expect(posted).toEqual([])
    handover.arrived(['port'])
    expect(posted).toEqual([['port']])
  })

  it('hands over once: a second ask or a second port does nothing (a port moves once)', () => {
    const posted: string[][] = []
    const handover = portHandover<string>((ports) => posted.push([...ports]))
    handover.arrived([])
    handover.asked()
    expect(posted).toEqual([])
    handover.arrived(['first'])
    handover.asked()
    handover.arrived(['second'])
    expect(posted).toEqual([['first']])
  })
})

import { describe, expect, it } from 'vitest'
import { requestFrame } from '../../main/core/first-screen-quick'

/**
 * The first screen's answerers (first-screen-quick.ts, first-screen.ts) look at a window's frames
 * before the contract's own parsing is loaded: only a request with a safe integer id and a method
 * name may be answered there; any other frame goes on to the core, untouched.
 */
describe('requestFrame', () => {
  it('reads a request', () => {
    expect(requestFrame('{"t":"req","id":7,"method":"queue.forMe","params":{}}')).toEqual({
      id: 7,
      method: 'queue.forMe',
      params: {},
    })
    expect(requestFrame('{"t":"req","id":0,"method":"status.get"}')).toEqual({
      id: 0,
      method: 'status.get',
      params: undefined,
    })
  })

  it('passes on whatever is not one', () => {
    for (const text of [
      'not json',
      'null',
      '7',
      '"req"',
      '{"t":"doc","id":1,"method":"status.get"}',
      '{"t":"res","id":1,"ok":true,"result":null}',
      '{"t":"req","id":1.5,"method":"status.get"}',
      '{"t":"req","id":9007199254740993,"method":"status.get"}',
      '{"t":"req","id":"1","method":"status.get"}',
      '{"t":"req","id":1,"method":42}',
      '{"t":"req","id":1}',
    ]) {
      expect({ text, frame: requestFrame(text) }).toEqual({ text, frame: null })
    }
  })
})

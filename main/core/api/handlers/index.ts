import type { MethodName } from '../../../../common/contract/api'
import { imageHandlers } from '../../images/handlers'
import { accountHandlers } from './account-handlers'
import { boardHandlers } from './board-handlers'
import { nudgeHandlers } from './nudge-handlers'
import { queueHandlers } from './queue-handlers'
import { resultsHandlers } from './results-handlers'
import { shareHandlers } from './share-handlers'
import { studioHandlers } from './studio-handlers'
import { syncHandlers } from './sync-handlers'
import type { Handler } from './types'

/** Every method of the contract has exactly one handler; a missing one fails typecheck here. */
export const handlers: { [M in MethodName]: Handler<M> } = {
  ...accountHandlers,
  ...boardHandlers,
  ...imageHandlers,
  ...nudgeHandlers,
  ...queueHandlers,
  ...resultsHandlers,
  ...shareHandlers,
  ...studioHandlers,
  ...syncHandlers,
}

export { type Clock, clockFromEnv, ScaledClock, SimulatedClock, SystemClock } from './clock'
export {
  type Disposable,
  DisposableStore,
  MutableDisposable,
  NONE,
  toDisposable,
} from './disposable'
export { SerialRunner } from './serial'

import { useCallback, useRef, useState, type Dispatch } from 'react';
import { initialUiState, uiReducer, type UiAction, type UiState } from '../state/ui-reducer.js';

/**
 * The UI reducer with a synchronous view of the latest state. Keys can arrive faster than React renders (a paste,
 * a fast typist, `j j j`): each key must see the state the previous key left, not the state of the last render.
 */
export function useUiState(): [UiState, Dispatch<UiAction>, () => UiState] {
  const latest = useRef<UiState>(initialUiState);
  const [state, setState] = useState<UiState>(initialUiState);
  const dispatch = useCallback((action: UiAction) => {
    latest.current = uiReducer(latest.current, action);
    setState(latest.current);
  }, []);
  const getState = useCallback(() => latest.current, []);
  return [state, dispatch, getState];
}

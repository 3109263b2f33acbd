"""学习异常 rules over playback sessions and the hours ledger (issue 16, item 2)."""

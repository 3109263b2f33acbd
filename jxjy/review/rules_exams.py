"""学习异常 rules over exam answer sheets (issue 16, item 2)."""

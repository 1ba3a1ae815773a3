"""Citizens' ratings (群众满意度测评): one per rater, target and day; bad ones open a case."""

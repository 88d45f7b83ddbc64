"""The editable side: topics, contributors, the article draft, its immutable revisions, editing."""

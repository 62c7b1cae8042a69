"""Agency feeds: the contract as data, one reader per channel, and the loader."""

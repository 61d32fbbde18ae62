package dist

func discreteCases() []scalarCase { return nil }

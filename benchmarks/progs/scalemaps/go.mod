module scalemaps

go 1.21

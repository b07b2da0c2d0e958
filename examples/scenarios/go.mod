module gomap.example/scenarios

go 1.21

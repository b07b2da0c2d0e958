module gomap.example/mapstates

go 1.21

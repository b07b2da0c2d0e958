module goroots

go 1.21

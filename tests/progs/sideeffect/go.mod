module sideeffect

go 1.21

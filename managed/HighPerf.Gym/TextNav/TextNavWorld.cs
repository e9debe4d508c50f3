namespace HighPerf.Gym.TextNav;

/// <summary>The eight rooms of the house (spec §2.2; the paper says ten, the code has eight).</summary>
public enum Room : byte { Bedroom, Office, Bathroom, LivingRoom, Kitchen, DiningRoom, Garden, Backyard }

public enum Direction : byte { North, South, East, West }

/// <summary>The portable objects.</summary>
public enum Item : byte { StaleFood, FreshFood, Bowl, CoffeeCup, Plate, Utensils, Fruit }

/// <summary>Where an item is.</summary>
public enum Place : byte { Table, Fridge, Chest, Floor, Inventory, Eaten }

/// <summary>The static world: names, the room graph, furniture, and shortest-path hops.</summary>
public static class TextNavWorld
{
    public const int RoomCount = 8;
    public const int ItemCount = 7;

    public static string Name(Room room) => room switch
    {
        Room.Bedroom => "bedroom",
        Room.Office => "office",
        Room.Bathroom => "bathroom",
        Room.LivingRoom => "living room",
        Room.Kitchen => "kitchen",
        Room.DiningRoom => "dining room",
        Room.Garden => "garden",
        Room.Backyard => "backyard",
        _ => throw new ArgumentOutOfRangeException(nameof(room)),
    };

    public static string Name(Direction d) => d switch
    {
        Direction.North => "north",
        Direction.South => "south",
        Direction.East => "east",
        Direction.West => "west",
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };

    public static string Name(Item item) => item switch
    {
        Item.StaleFood => "stale food",
        Item.FreshFood => "fresh food",
        Item.Bowl => "bowl",
        Item.CoffeeCup => "coffee cup",
        Item.Plate => "plate",
        Item.Utensils => "utensils",
        Item.Fruit => "fruit",
        _ => throw new ArgumentOutOfRangeException(nameof(item)),
    };

    public static string WithArticle(Item item) => item == Item.Utensils ? "some utensils" : "a " + Name(item);

    public static bool IsEdible(Item item) => item is Item.StaleFood or Item.FreshFood or Item.Fruit;

    public static bool HasTable(Room room) => room is Room.Bedroom or Room.LivingRoom or Room.DiningRoom;

    /// <summary>The container in a room: the fridge in the kitchen, the chest in the office.</summary>
    public static Place? ContainerIn(Room room) => room switch
    {
        Room.Kitchen => Place.Fridge,
        Room.Office => Place.Chest,
        _ => null,
    };

    public static string ContainerName(Place container) => container switch
    {
        Place.Fridge => "fridge",
        Place.Chest => "chest",
        _ => throw new ArgumentOutOfRangeException(nameof(container)),
    };

    public static Room ContainerRoom(Place container) => container == Place.Fridge ? Room.Kitchen : Room.Office;

    private static readonly Room?[,] ExitTable = BuildExits();
    private static readonly Direction?[,] Hop = BuildHops();

    /// <summary>The room through an exit, or null.</summary>
    public static Room? Exit(Room room, Direction d) => ExitTable[(int)room, (int)d];

    /// <summary>Exits of a room in alphabetical order of their names (east, north, south, west).</summary>
    public static IEnumerable<Direction> Exits(Room room)
    {
        foreach (var d in new[] { Direction.East, Direction.North, Direction.South, Direction.West })
            if (ExitTable[(int)room, (int)d] is not null) yield return d;
    }

    /// <summary>First move of a shortest path between rooms (null when already there).</summary>
    public static Direction? NextHop(Room from, Room to) => Hop[(int)from, (int)to];

    public static int Distance(Room from, Room to)
    {
        var n = 0;
        while (from != to)
        {
            from = Exit(from, NextHop(from, to)!.Value)!.Value;
            n++;
        }
        return n;
    }

    private static Room?[,] BuildExits()
    {
        var t = new Room?[RoomCount, 4];
        void Link(Room a, Direction da, Room b, Direction db)
        {
            t[(int)a, (int)da] = b;
            t[(int)b, (int)db] = a;
        }
        Link(Room.Bedroom, Direction.West, Room.LivingRoom, Direction.East);
        Link(Room.LivingRoom, Direction.West, Room.DiningRoom, Direction.East);
        Link(Room.DiningRoom, Direction.West, Room.Kitchen, Direction.East);
        Link(Room.Kitchen, Direction.North, Room.Garden, Direction.South);
        Link(Room.LivingRoom, Direction.South, Room.Office, Direction.North);
        Link(Room.Office, Direction.East, Room.Bathroom, Direction.West);
        Link(Room.Bedroom, Direction.South, Room.Bathroom, Direction.North);
        Link(Room.Kitchen, Direction.West, Room.Backyard, Direction.East);
        return t;
    }

    private static Direction?[,] BuildHops()
    {
        var hop = new Direction?[RoomCount, RoomCount];
        for (var target = 0; target < RoomCount; target++)
        {
            // BFS from the target; a room's hop is the exit towards its BFS parent (ties: exit order N,S,E,W)
            var dist = new int[RoomCount];
            Array.Fill(dist, -1);
            dist[target] = 0;
            var queue = new Queue<int>();
            queue.Enqueue(target);
            while (queue.Count > 0)
            {
                var r = queue.Dequeue();
                for (var d = 0; d < 4; d++)
                    if (ExitTable[r, d] is { } n && dist[(int)n] < 0)
                    {
                        dist[(int)n] = dist[r] + 1;
                        queue.Enqueue((int)n);
                    }
            }
            for (var r = 0; r < RoomCount; r++)
            {
                if (r == target) continue;
                for (var d = 0; d < 4; d++)
                    if (ExitTable[r, d] is { } n && dist[(int)n] == dist[r] - 1)
                    {
                        hop[r, target] = (Direction)d;
                        break;
                    }
            }
        }
        return hop;
    }
}
